// Tests core/noise/noise_stats.h: moments, lag-1 autocorrelation, channel correlation and the KS
// test against N(0,1), on fields with known answers.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <string>

#include "core/noise/noise_stats.h"

class TstNoiseStats : public QObject {
  Q_OBJECT
 private slots:
  void whiteGaussianLooksWhite();
  void correlatedFieldShowsLag1();
  void ksRejectsUniform();
  void ksPValueMatchesKolmogorovTable();
  void channelCorrelationOfCopies();
};

void TstNoiseStats::whiteGaussianLooksWhite() {
  at::Generator gen = at::detail::createCPUGenerator(11);
  const at::Tensor x = at::randn({4, 512, 512}, gen, at::TensorOptions());
  const ns::NoiseStats s = ns::NoiseStats::compute(x);
  const std::string msg = "mean " + std::to_string(s.mean) + " std " + std::to_string(s.std) + " lag1 h/v " +
                          std::to_string(s.lag1Horizontal) + "/" + std::to_string(s.lag1Vertical) + " cross " +
                          std::to_string(s.crossChannelMaxAbs) + " KS D " + std::to_string(s.ksDistance) + " p " +
                          std::to_string(s.ksPValue);
  QCOMPARE(s.count, int64_t(4 * 512 * 512));
  QVERIFY2(std::fabs(s.mean) < 3e-3, msg.c_str());
  QVERIFY2(std::fabs(s.std - 1.0) < 3e-3, msg.c_str());
  QVERIFY2(std::fabs(s.lag1Horizontal) < 5e-3 && std::fabs(s.lag1Vertical) < 5e-3, msg.c_str());
  QVERIFY2(s.crossChannelMaxAbs < 1e-2, msg.c_str());
  QVERIFY2(s.ksPValue > 0.01 && s.ksDistance < 2e-3, msg.c_str());
}

void TstNoiseStats::correlatedFieldShowsLag1() {
  at::Generator gen = at::detail::createCPUGenerator(12);
  const at::Tensor x = at::randn({2, 512, 512}, gen, at::TensorOptions());
  // y = (x + x shifted right by one) / sqrt 2: horizontal lag-1 correlation 0.5, vertical 0.
  const at::Tensor y = (x + at::roll(x, {1}, {2})) / std::sqrt(2.0);
  const ns::NoiseStats s = ns::NoiseStats::compute(y, {false, 0, true});
  const std::string msg = "lag1 h " + std::to_string(s.lag1Horizontal) + " v " + std::to_string(s.lag1Vertical);
  QVERIFY2(std::fabs(s.lag1Horizontal - 0.5) < 0.01, msg.c_str());
  QVERIFY2(std::fabs(s.lag1Vertical) < 0.01, msg.c_str());
  QVERIFY2(std::fabs(s.std - 1.0) < 0.01, msg.c_str());
}

void TstNoiseStats::ksRejectsUniform() {
  at::Generator gen = at::detail::createCPUGenerator(13);
  // Uniform with unit variance: same mean and std as N(0,1), but KS sees the shape.
  const at::Tensor u = (at::rand({200000}, gen, at::TensorOptions()) - 0.5) * std::sqrt(12.0);
  double d = 0, p = 1;
  ns::NoiseStats::ksTest(u, &d, &p);
  QVERIFY2(p < 1e-6 && d > 0.02, ("uniform D " + std::to_string(d) + " p " + std::to_string(p)).c_str());
  // A 5% scale error on 10^6 samples is also rejected.
  const at::Tensor g = at::randn({1000000}, gen, at::TensorOptions()) * 1.05;
  ns::NoiseStats::ksTest(g, &d, &p);
  QVERIFY2(p < 1e-3, ("scaled normal D " + std::to_string(d) + " p " + std::to_string(p)).c_str());
}

void TstNoiseStats::ksPValueMatchesKolmogorovTable() {
  // Large n: λ = sqrt(n)·D. Kolmogorov table: Q(1.36) = 0.0494, Q(1.63) = 0.0098, Q(1.0) = 0.2700,
  // Q(0.5) = 0.9639.
  const int64_t n = 100000000;
  const double en = std::sqrt(double(n));
  struct Row { double lambda, q; };
  for (const Row r : {Row{1.36, 0.0494}, Row{1.63, 0.0098}, Row{1.0, 0.2700}, Row{0.5, 0.9639}}) {
    const double p = ns::NoiseStats::ksPValueFor(r.lambda / en, n);
    QVERIFY2(std::fabs(p - r.q) < 1e-3,
             ("lambda " + std::to_string(r.lambda) + " p " + std::to_string(p) + " want " + std::to_string(r.q)).c_str());
  }
  // The two series agree where they switch (λ = 1.18).
  const double a = ns::NoiseStats::ksPValueFor(1.1799 / en, n), b = ns::NoiseStats::ksPValueFor(1.1801 / en, n);
  QVERIFY2(std::fabs(a - b) < 1e-3, ("switch " + std::to_string(a) + " vs " + std::to_string(b)).c_str());
}

void TstNoiseStats::channelCorrelationOfCopies() {
  at::Generator gen = at::detail::createCPUGenerator(14);
  const at::Tensor x = at::randn({1, 64, 64}, gen, at::TensorOptions());
  const at::Tensor y = at::randn({1, 64, 64}, gen, at::TensorOptions());
  const at::Tensor three = at::cat({x, -x, y});
  const at::Tensor c = ns::NoiseStats::channelCorrelation(three);
  QCOMPARE(c.size(0), int64_t(3));
  QVERIFY2(std::fabs(c[0][1].item<double>() + 1.0) < 1e-9, "x vs -x must correlate -1");
  QVERIFY2(std::fabs(c[0][2].item<double>()) < 0.1, "independent channels");
  QVERIFY2(std::fabs(c[2][2].item<double>() - 1.0) < 1e-9, "diagonal is 1");
  QVERIFY(std::fabs(ns::NoiseStats::compute(three).crossChannelMaxAbs - 1.0) < 1e-9);
}

NS_REGISTER_TEST(TstNoiseStats, whiteGaussianLooksWhite, correlatedFieldShowsLag1, ksRejectsUniform,
                 ksPValueMatchesKolmogorovTable, channelCorrelationOfCopies)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_noise_stats.moc"
#endif
