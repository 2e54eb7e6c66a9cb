// Tests core/noise/noise_ops.h: degradation (§2.8 test 7), unit-variance downsampling (§2.8
// test 6), slerp (§5.1 tests 1–4), NoiseDiffusion mixing (§5.2 tests 1–4) and masked mixing.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <string>

#include "core/noise/noise_ops.h"
#include "core/noise/noise_stats.h"

namespace {
std::string num(double v) { return std::to_string(v); }
double stdOf(const at::Tensor& t) { return t.to(at::kDouble).std(false).item<double>(); }
}  // namespace

class TstNoiseOps : public QObject {
  Q_OBJECT
 private slots:
  void degradeEndpointsAndVariance();
  void blendPerPixelMap();
  void downsampleKeepsUnitVariance();
  void slerpEndpointsAndAngle();
  void slerpKeepsNormAndStd();
  void slerpLerpFallback();
  void noiseDiffusionSymmetryAndBounds();
  void noiseDiffusionLimitsAndCoefficients();
};

void TstNoiseOps::degradeEndpointsAndVariance() {
  at::Generator gen = at::detail::createCPUGenerator(1);
  const at::Tensor q = at::randn({4, 256, 256}, gen, at::TensorOptions());
  QVERIFY(at::equal(ns::NoiseOps::degrade(q, 0.0, gen), q));
  const at::Tensor fresh = ns::NoiseOps::degrade(q, 1.0, gen);
  const double corr1 = ns::NoiseStats::correlation(fresh, q);
  QVERIFY2(std::fabs(corr1) < 0.01, ("corr(degrade(q,1), q) " + num(corr1)).c_str());
  QVERIFY2(std::fabs(stdOf(fresh) - 1) < 0.01, ("std(degrade(q,1)) " + num(stdOf(fresh))).c_str());
  const at::Tensor half = ns::NoiseOps::degrade(q, 0.5, gen);
  QVERIFY2(std::fabs(stdOf(half) - 1) < 0.01, ("std(degrade(q,0.5)) " + num(stdOf(half))).c_str());
  // (0.5 q + 0.5 ε)/sqrt(0.5): correlation with q is sqrt(0.5).
  const double corr = ns::NoiseStats::correlation(half, q);
  QVERIFY2(std::fabs(corr - std::sqrt(0.5)) < 0.01, ("corr(degrade(q,0.5), q) " + num(corr)).c_str());
}

void TstNoiseOps::blendPerPixelMap() {
  at::Generator gen = at::detail::createCPUGenerator(2);
  const at::Tensor a = at::randn({4, 128, 128}, gen, at::TensorOptions());
  const at::Tensor b = at::randn({4, 128, 128}, gen, at::TensorOptions());
  // Left half takes b, right half a, a soft band in between.
  const at::Tensor mask = at::linspace(-1.0, 2.0, 128).clamp(0, 1).flip(0).view({1, 1, 128}).expand({1, 128, 128});
  const at::Tensor m = ns::NoiseOps::maskedMix(a, b, mask);
  QVERIFY(at::allclose(m.narrow(2, 0, 40), b.narrow(2, 0, 40)));
  QVERIFY(at::allclose(m.narrow(2, 90, 38), a.narrow(2, 90, 38)));
  QVERIFY2(std::fabs(stdOf(m) - 1) < 0.02, ("std of masked mix " + num(stdOf(m))).c_str());
  const at::Tensor band = m.narrow(2, 50, 30);
  QVERIFY2(std::fabs(stdOf(band) - 1) < 0.03, ("std in the soft band " + num(stdOf(band))).c_str());
}

void TstNoiseOps::downsampleKeepsUnitVariance() {
  at::Generator gen = at::detail::createCPUGenerator(3);
  const at::Tensor x = at::randn({16, 512, 512}, gen, at::TensorOptions());
  const at::Tensor d = ns::NoiseOps::downsampleArea(x, 8);
  QCOMPARE(d.size(1), int64_t(64));
  QVERIFY2(std::fabs(stdOf(d) - 1) < 0.01, ("AvgPool_8·8 std " + num(stdOf(d))).c_str());
  // resize_noise to a size that does not divide: bins of 3 and 4 pixels, still unit variance.
  const at::Tensor r = ns::NoiseOps::resizeNoise(x, 150, 130);
  QCOMPARE(r.size(1), int64_t(150));
  QCOMPARE(r.size(2), int64_t(130));
  QVERIFY2(std::fabs(stdOf(r) - 1) < 0.01, ("resizeNoise std " + num(stdOf(r))).c_str());
  // resizeNoise by an integer factor equals the area downsample.
  QVERIFY(at::allclose(ns::NoiseOps::resizeNoise(x, 64, 64), d, 1e-4, 1e-5));
  // Weighted: weights 1 give the unweighted answer; unequal weights keep unit variance.
  QVERIFY(at::allclose(ns::NoiseOps::resizeNoise(x, 64, 64, at::ones({512, 512})), d, 1e-4, 1e-5));
  const at::Tensor w = at::rand({512, 512}, gen, at::TensorOptions()) * 3 + 0.1;
  const at::Tensor rw = ns::NoiseOps::resizeNoise(x, 64, 64, w);
  QVERIFY2(std::fabs(stdOf(rw) - 1) < 0.01, ("weighted resize std " + num(stdOf(rw))).c_str());
  QVERIFY(at::equal(ns::NoiseOps::resizeNoise(x, 512, 512), x));
}

void TstNoiseOps::slerpEndpointsAndAngle() {
  at::Generator gen = at::detail::createCPUGenerator(4);
  const at::Tensor p0 = at::randn({4, 32, 32}, gen, at::TensorOptions());
  // The reference formula interpolates the angle exactly for inputs of equal norm.
  at::Tensor p1 = at::randn({4, 32, 32}, gen, at::TensorOptions());
  p1 = p1 * (p0.norm() / p1.norm());
  QVERIFY(at::allclose(ns::NoiseOps::slerp(p0, p1, 0.0), p0, 1e-6, 1e-6));
  QVERIFY(at::allclose(ns::NoiseOps::slerp(p0, p1, 1.0), p1, 1e-6, 1e-6));
  auto angle = [](const at::Tensor& a, const at::Tensor& b) {
    const at::Tensor x = a.to(at::kDouble), y = b.to(at::kDouble);
    return std::acos((x * y).sum().item<double>() / (x.norm().item<double>() * y.norm().item<double>()));
  };
  const double theta = angle(p0, p1);
  for (double f : {0.1, 0.25, 0.5, 0.9}) {
    const double got = angle(ns::NoiseOps::slerp(p0, p1, f), p0);
    QVERIFY2(std::fabs(got - f * theta) < 1e-5,
             ("f " + num(f) + " angle " + num(got) + " want " + num(f * theta)).c_str());
  }
}

void TstNoiseOps::slerpKeepsNormAndStd() {
  // Orthonormal inputs: ‖out‖ = 1 for every f.
  at::Tensor e0 = at::zeros({100}, at::TensorOptions().dtype(at::kDouble));
  at::Tensor e1 = e0.clone();
  e0[3] = 1.0;
  e1[70] = 1.0;
  for (double f : {0.0, 0.2, 0.5, 0.8, 1.0}) {
    const double n = ns::NoiseOps::slerp(e0, e1, f).norm().item<double>();
    QVERIFY2(std::fabs(n - 1) < 1e-9, ("f " + num(f) + " norm " + num(n)).c_str());
  }
  // i.i.d. N(0,1) inputs with D = 65536: slerp keeps std ≈ 1, lerp at 0.5 gives ≈ 0.707.
  at::Generator gen = at::detail::createCPUGenerator(5);
  const at::Tensor a = at::randn({4, 128, 128}, gen, at::TensorOptions());
  const at::Tensor b = at::randn({4, 128, 128}, gen, at::TensorOptions());
  for (double f : {0.1, 0.3, 0.5, 0.7}) {
    const double s = stdOf(ns::NoiseOps::slerp(a, b, f));
    QVERIFY2(std::fabs(s - 1) < 0.02, ("f " + num(f) + " slerp std " + num(s)).c_str());
  }
  const double lerpStd = stdOf((a + b) * 0.5);
  QVERIFY2(std::fabs(lerpStd - std::sqrt(0.5)) < 0.01, ("lerp std " + num(lerpStd)).c_str());
}

void TstNoiseOps::slerpLerpFallback() {
  at::Generator gen = at::detail::createCPUGenerator(6);
  const at::Tensor a = at::randn({1000}, gen, at::TensorOptions());
  const at::Tensor b = a * 1.0001;  // parallel
  const at::Tensor s = ns::NoiseOps::slerp(a, b, 0.5, ns::SlerpFallback::Lerp);
  QVERIFY(at::allclose(s, (a + b) * 0.5, 1e-6, 1e-6));
  QVERIFY(at::isfinite(ns::NoiseOps::slerp(a, b, 0.5)).all().item<bool>());  // clamp guards it too
}

void TstNoiseOps::noiseDiffusionSymmetryAndBounds() {
  at::Generator gen = at::detail::createCPUGenerator(7);
  const at::Tensor xl = at::randn({4, 32, 32}, gen, at::TensorOptions()) * 1.5;
  const at::Tensor xr = at::randn({4, 32, 32}, gen, at::TensorOptions()) * 1.5;
  const at::Tensor x0l = at::randn({4, 32, 32}, gen, at::TensorOptions());
  const at::Tensor x0r = at::randn({4, 32, 32}, gen, at::TensorOptions());
  ns::NoiseDiffusionParams p;
  p.alphaBar = 0.3;
  for (double f : {0.17, 0.33, 0.5, 0.67}) {
    p.fraction = f;
    const at::Tensor m = ns::NoiseOps::noiseDiffusionMix(xl, xr, x0l, x0r, p);
    ns::NoiseDiffusionParams q = p;
    q.fraction = 1 - f;
    const at::Tensor s = ns::NoiseOps::noiseDiffusionMix(xr, xl, x0r, x0l, q);
    QVERIFY2(at::allclose(m, s, 1e-5, 1e-5), ("symmetry fails at f " + num(f)).c_str());
    QVERIFY2(m.max().item<float>() <= 2.0f && m.min().item<float>() >= -2.0f, "values leave [-2, 2]");
    QVERIFY2(m.abs().max().item<float>() == 2.0f, "with std 1.5 inputs some values must hit the clip");
  }
  // With γ > 0 the fresh term enters, bounded as well.
  p.gamma = 0.3;
  p.fraction = 0.5;
  const at::Tensor eps = at::randn({4, 32, 32}, gen, at::TensorOptions());
  const at::Tensor g = ns::NoiseOps::noiseDiffusionMix(xl, xr, x0l, x0r, p, eps);
  QVERIFY(g.abs().max().item<float>() <= 2.0f);
}

void TstNoiseOps::noiseDiffusionLimitsAndCoefficients() {
  for (double gamma : {0.0, 0.2, 0.6, 1.0}) {
    for (double f : {0.0, 0.17, 0.5, 0.83, 1.0}) {
      const ns::NoiseDiffusionCoefficients c = ns::NoiseOps::noiseDiffusionCoefficients(f, gamma);
      const double s = c.alpha * c.alpha + c.beta * c.beta;
      QVERIFY2(std::fabs(s - (1 - gamma * gamma)) < 1e-12,
               ("alpha^2+beta^2 " + num(s) + " at gamma " + num(gamma)).c_str());
      QVERIFY2(std::isfinite(c.mu) && std::isfinite(c.nu) && std::fabs(c.mu + c.nu - 1.2) < 1e-12,
               ("mu+nu " + num(c.mu + c.nu)).c_str());
    }
  }
  // f = 0: x_mix = clip(clip(xL) + 0.2·sqrt(ᾱ)·x0L).
  at::Generator gen = at::detail::createCPUGenerator(8);
  const at::Tensor xl = at::randn({4, 16, 16}, gen, at::TensorOptions()) * 1.5;
  const at::Tensor xr = at::randn({4, 16, 16}, gen, at::TensorOptions());
  const at::Tensor x0l = at::randn({4, 16, 16}, gen, at::TensorOptions());
  const at::Tensor x0r = at::randn({4, 16, 16}, gen, at::TensorOptions());
  ns::NoiseDiffusionParams p;
  p.alphaBar = 0.25;
  p.fraction = 0.0;
  const at::Tensor m = ns::NoiseOps::noiseDiffusionMix(xl, xr, x0l, x0r, p);
  const at::Tensor want = (xl.clamp(-2, 2) + 0.2 * 0.5 * x0l).clamp(-2, 2);
  QVERIFY(at::allclose(m, want, 1e-5, 1e-6));
  p.fraction = 1e-6;  // f → 0 approaches the same limit continuously
  QVERIFY(at::allclose(ns::NoiseOps::noiseDiffusionMix(xl, xr, x0l, x0r, p), want, 1e-4, 1e-4));
}

NS_REGISTER_TEST(TstNoiseOps, degradeEndpointsAndVariance, blendPerPixelMap, downsampleKeepsUnitVariance,
                 slerpEndpointsAndAngle, slerpKeepsNormAndStd, slerpLerpFallback, noiseDiffusionSymmetryAndBounds,
                 noiseDiffusionLimitsAndCoefficients)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_noise_ops.moc"
#endif
