// Tests core/diffusion/sampler_steps.h: conversions, CFG, DDIM/DDPM/inversion steps
// (docs/algorithms.md §7.3–7.5, §7.8).
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/diffusion/noise_schedule.h"
#include "core/diffusion/sampler_steps.h"

namespace {

at::Tensor randn(std::vector<int64_t> shape, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat));
}

double maxAbs(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

class TstSamplerSteps : public QObject {
  Q_OBJECT
 private slots:
  void conversionsRoundTrip();
  void vPredictionAtZeroSnr();
  void cfgScaleOneIsCond();
  void cfgPerRowAndRescale();
  void ddpmStepEqualsDdimEtaOne();
  void ddimStepFormulaAndNoise();
  void ddimSampleThenInvertIsIdentity();
  void qSampleFormula();
};

void TstSamplerSteps::conversionsRoundTrip() {
  const at::Tensor x = randn({2, 4, 8, 8}, 1);
  const at::Tensor eps = randn({2, 4, 8, 8}, 2);
  using P = ns::PredictionType;
  for (double a : {0.99915, 0.5, 0.0047}) {
    const at::Tensor x0 = ns::epsToX0(x, eps, a);
    const at::Tensor v = ns::epsToV(x, eps, a);
    // v's definition: √ᾱ·ε − √(1−ᾱ)·x0.
    const double dDef = maxAbs(v, eps * std::sqrt(a) - x0 * std::sqrt(1 - a));
    QVERIFY2(dDef < 1e-4, ("v definition off by " + std::to_string(dDef)).c_str());
    const double d1 = maxAbs(ns::vToEps(x, v, a), eps);
    const double d2 = maxAbs(ns::vToX0(x, v, a), x0) / (1 + x0.abs().max().item<double>());
    const double d3 = maxAbs(ns::x0ToEps(x, x0, a), eps);
    const double d4 = maxAbs(ns::x0ToV(x, x0, a), v);
    QVERIFY2(d1 < 1e-4 && d2 < 1e-5 && d3 < 2e-3 && d4 < 2e-3,
             ("a=" + std::to_string(a) + " diffs " + std::to_string(d1) + " " + std::to_string(d2) + " " +
              std::to_string(d3) + " " + std::to_string(d4))
                 .c_str());
    const std::vector<std::pair<P, at::Tensor>> forms = {{P::Epsilon, eps}, {P::VPrediction, v}, {P::Sample, x0}};
    for (const auto& [from, out] : forms) {
      for (const auto& [to, expected] : forms) {
        const at::Tensor got = ns::convertPrediction(x, out, from, to, a);
        const double rel = maxAbs(got, expected) / (1 + expected.abs().max().item<double>());
        QVERIFY2(rel < 2e-3, ("convert " + std::to_string(int(from)) + "->" + std::to_string(int(to)) +
                              " at a=" + std::to_string(a) + " rel " + std::to_string(rel))
                                 .c_str());
      }
    }
    const ns::PredictionPair pp = ns::splitPrediction(x, v, P::VPrediction, a);
    QVERIFY(maxAbs(pp.eps, eps) < 1e-4);
  }
}

void TstSamplerSteps::vPredictionAtZeroSnr() {
  const at::Tensor x = randn({1, 4, 4, 4}, 3);
  const at::Tensor v = randn({1, 4, 4, 4}, 4);
  const ns::PredictionPair pp = ns::splitPrediction(x, v, ns::PredictionType::VPrediction, 0.0);
  QCOMPARE(maxAbs(pp.x0, -v), 0.0);  // x̂0 = −v̂ at ᾱ = 0
  QCOMPARE(maxAbs(pp.eps, x), 0.0);  // the sample is pure noise there
}

void TstSamplerSteps::cfgScaleOneIsCond() {
  const at::Tensor u = randn({2, 4, 8, 8}, 5), c = randn({2, 4, 8, 8}, 6);
  QCOMPARE(maxAbs(ns::applyCfg(u, c, 1.0), c), 0.0);
  const double d = maxAbs(ns::applyCfg(u, c, 7.5), u + (c - u) * 7.5);
  QVERIFY2(d < 1e-5, std::to_string(d).c_str());
  QVERIFY(maxAbs(ns::applyCfg(u, c, 0.0), u) < 1e-6);
}

void TstSamplerSteps::cfgPerRowAndRescale() {
  const at::Tensor u = randn({2, 4, 8, 8}, 7), c = randn({2, 4, 8, 8}, 8);
  const at::Tensor scales = at::tensor({1.0f, 5.0f});
  const at::Tensor g = ns::applyCfg(u, c, scales);
  QCOMPARE(maxAbs(g[0], c[0]), 0.0);
  QVERIFY(maxAbs(g[1], u[1] + (c[1] - u[1]) * 5.0) < 1e-5);
  // φ = 1: every row takes the conditional branch's std.
  const at::Tensor r = ns::applyCfg(u, c, 9.0, 1.0);
  for (int b = 0; b < 2; ++b) {
    const double sr = r[b].std().item<double>(), sc = c[b].std().item<double>();
    QVERIFY2(std::fabs(sr - sc) < 1e-4, (std::to_string(sr) + " vs " + std::to_string(sc)).c_str());
  }
  // φ = 0.5 is the midpoint of the rescaled and plain guided outputs.
  const at::Tensor plain = ns::applyCfg(u, c, 9.0);
  const at::Tensor half = ns::applyCfg(u, c, 9.0, 0.5);
  QVERIFY(maxAbs(half, (plain + r) * 0.5) < 1e-4);
}

void TstSamplerSteps::ddpmStepEqualsDdimEtaOne() {
  const ns::NoiseSchedule s = ns::NoiseSchedule::fromConfig(ns::ScheduleConfig{}).value();
  const at::Tensor x = randn({1, 4, 16, 16}, 9), eps = randn({1, 4, 16, 16}, 10), z = randn({1, 4, 16, 16}, 11);
  const std::vector<std::pair<int64_t, int64_t>> pairs = {{981, 961}, {501, 481}, {21, 1}, {1, -1}};
  for (const auto& [t, tp] : pairs) {
    const double a = s.alphaBar(t), ap = s.alphaBar(tp);
    const ns::PredictionPair pp = ns::splitPrediction(x, eps, ns::PredictionType::Epsilon, a);
    const at::Tensor ddim = ns::ddimStep(pp, a, ap, 1.0, z);
    const at::Tensor ddpm = ns::ddpmStep(x, pp.x0, a, ap, z);
    const double d = maxAbs(ddim, ddpm);
    QVERIFY2(d < 2e-5, ("t=" + std::to_string(t) + " diff " + std::to_string(d)).c_str());
  }
}

void TstSamplerSteps::ddimStepFormulaAndNoise() {
  const at::Tensor x = randn({1, 4, 8, 8}, 12), eps = randn({1, 4, 8, 8}, 13), z = randn({1, 4, 8, 8}, 14);
  const double a = 0.3, ap = 0.5;
  const ns::PredictionPair pp = ns::splitPrediction(x, eps, ns::PredictionType::Epsilon, a);
  const at::Tensor det = ns::ddimStep(pp, a, ap, 0.0);
  QVERIFY(maxAbs(det, pp.x0 * std::sqrt(ap) + eps * std::sqrt(1 - ap)) < 1e-5);
  const double eta = 0.6;
  const double sigma = eta * std::sqrt((1 - ap) / (1 - a) * (1 - a / ap));
  const at::Tensor st = ns::ddimStep(pp, a, ap, eta, z);
  const at::Tensor ref = pp.x0 * std::sqrt(ap) + eps * std::sqrt(1 - ap - sigma * sigma) + z * sigma;
  QVERIFY2(maxAbs(st, ref) < 1e-5, std::to_string(maxAbs(st, ref)).c_str());
  QVERIFY(std::fabs(ns::ddimVariance(a, 1.0)) == 0.0);
}

void TstSamplerSteps::ddimSampleThenInvertIsIdentity() {
  // ε̂ depends on t only (not on x): DDIM η=0 sampling then DDIM inversion returns x_T exactly
  // up to float rounding.
  const ns::NoiseSchedule s = ns::NoiseSchedule::fromConfig(ns::ScheduleConfig{}).value();
  const std::vector<int64_t> ts = s.timesteps(50);
  const at::Tensor pattern = randn({1, 4, 8, 8}, 15);
  auto epsAt = [&](int64_t t) { return pattern * std::sin(0.01 * double(t)) + 0.1; };
  const at::Tensor xT = randn({1, 4, 8, 8}, 16);
  at::Tensor x = xT;
  for (size_t i = 0; i < ts.size(); ++i) {
    const double a = s.alphaBar(ts[i]), ap = s.alphaBar(ns::NoiseSchedule::nextInList(ts, i));
    x = ns::ddimStep(ns::splitPrediction(x, epsAt(ts[i]), ns::PredictionType::Epsilon, a), a, ap, 0.0);
  }
  for (size_t j = ts.size(); j-- > 0;) {
    const double aNext = s.alphaBar(ts[j]), aCur = s.alphaBar(ns::NoiseSchedule::nextInList(ts, j));
    x = ns::ddimInversionStep(x, epsAt(ts[j]), aCur, aNext);
  }
  const double d = maxAbs(x, xT);
  QVERIFY2(d < 1e-4, ("sample→invert error " + std::to_string(d)).c_str());
}

void TstSamplerSteps::qSampleFormula() {
  const at::Tensor x0 = randn({2, 3, 4, 4}, 17), n = randn({2, 3, 4, 4}, 18);
  QVERIFY(maxAbs(ns::qSample(x0, n, 0.25), x0 * 0.5 + n * std::sqrt(0.75)) < 1e-6);
  QCOMPARE(maxAbs(ns::qSample(x0, n, 0.0), n), 0.0);
}

NS_REGISTER_TEST(TstSamplerSteps, conversionsRoundTrip, vPredictionAtZeroSnr, cfgScaleOneIsCond, cfgPerRowAndRescale,
                 ddpmStepEqualsDdimEtaOne, ddimStepFormulaAndNoise, ddimSampleThenInvertIsIdentity, qSampleFormula)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_sampler_steps.moc"
#endif
