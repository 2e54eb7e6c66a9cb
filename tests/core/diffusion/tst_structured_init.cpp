// Tests core/diffusion/structured_init.h (docs/algorithms.md §4.2): t* and the timestep sub-list,
// pure noise at t* = 999 under zero-terminal SNR, q-sampling, small ratios staying close to z0.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>

#include "core/diffusion/structured_init.h"
#include "tests/core/diffusion/stub_denoisers.h"

using nstest::maxAbsDiff;

namespace {

// CogVideoX-like: v-prediction, zero-terminal SNR, trailing spacing, final ᾱ = 1.
ns::NoiseSchedule cogSchedule() {
  ns::ScheduleConfig c;
  c.zeroTerminalSnr = true;
  c.setAlphaToOne = true;
  c.stepsOffset = 0;
  c.spacing = ns::TimestepSpacing::Trailing;
  return ns::NoiseSchedule::fromConfig(c).value();
}

}  // namespace

class TstStructuredInit : public QObject {
  Q_OBJECT
 private slots:
  void timestepListLength();
  void tStar999UnderZeroSnrIsPureNoise();
  void qSampleStartAndDenoise();
  void smallRatioStaysCloseToSketch();
  void ddimInversionNoising();
};

void TstStructuredInit::timestepListLength() {
  const ns::NoiseSchedule cog = cogSchedule();
  auto p = ns::StructuredInit::plan(cog, 0.7, 50);
  QVERIFY(p.ok());
  QCOMPARE(p->tStar, int64_t(699));
  QCOMPARE(p->startIndex, 15);
  QCOMPARE(int(p->timesteps.size()), 35);  // 50 − index(699)
  QCOMPARE(p->timesteps.front(), int64_t(699));
  QCOMPARE(p->timesteps.back(), int64_t(19));
  auto full = ns::StructuredInit::plan(cog, 1.0, 50);
  QCOMPARE(full->tStar, int64_t(999));
  QCOMPARE(int(full->timesteps.size()), 50);
  // Off the list (SD leading 981 … 1): start at the first timestep ≤ 699, i.e. 681.
  auto sd = ns::StructuredInit::plan(nstest::sdSchedule(), 0.7, 50);
  QCOMPARE(sd->timesteps.front(), int64_t(681));
  QCOMPARE(int(sd->timesteps.size()), 35);
  QVERIFY(!ns::StructuredInit::plan(cog, 0.0, 50).ok());
  QVERIFY(!ns::StructuredInit::plan(cog, 1.5, 50).ok());
}

void TstStructuredInit::tStar999UnderZeroSnrIsPureNoise() {
  const ns::NoiseSchedule cog = cogSchedule();
  nstest::TanhStub model(0.3, ns::PredictionType::VPrediction);
  ns::StructuredInit init(model, cog);
  ns::JobContext ctx;
  ns::StructuredInitOptions o;
  o.ratio = 1.0;
  o.steps = 10;
  o.noise = nstest::seededRandn({1, 4, 8, 8}, 1);
  auto r = init.run(nstest::seededRandn({1, 4, 8, 8}, 2) * 3.0, nstest::biasCond({0.2f}), nstest::biasCond({0.f}), o,
                    ctx);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
  QCOMPARE(r->plan.tStar, int64_t(999));
  QCOMPARE(maxAbsDiff(r->start, o.noise), 0.0);  // ᾱ_999 = 0: nothing of the sketch survives
  QVERIFY(std::isfinite(r->latents.abs().max().item<double>()));
}

void TstStructuredInit::qSampleStartAndDenoise() {
  const ns::NoiseSchedule cog = cogSchedule();
  nstest::TanhStub model(0.3, ns::PredictionType::VPrediction);
  ns::StructuredInit init(model, cog);
  ns::JobContext ctx;
  ns::StructuredInitOptions o;  // α = 0.7, 50 steps, seeded noise
  const at::Tensor z0 = nstest::seededRandn({1, 4, 8, 8}, 3);
  auto r = init.run(z0, nstest::biasCond({0.2f}), nstest::biasCond({0.f}), o, ctx);
  QVERIFY(r.ok());
  QCOMPARE(model.calls, 35);
  const at::Tensor noise = nstest::seededRandn({1, 4, 8, 8}, 42);  // default seed 42
  const double a = cog.alphaBar(699);
  const double d = maxAbsDiff(r->start, z0 * std::sqrt(a) + noise * std::sqrt(1 - a));
  QVERIFY2(d < 1e-6, ("x_t* differs from the q-sample by " + std::to_string(d)).c_str());
  auto again = init.run(z0, nstest::biasCond({0.2f}), nstest::biasCond({0.f}), o, ctx);
  QCOMPARE(maxAbsDiff(again->latents, r->latents), 0.0);  // deterministic for a seed
}

void TstStructuredInit::smallRatioStaysCloseToSketch() {
  const ns::NoiseSchedule cog = cogSchedule();
  const at::Tensor z0 = nstest::seededRandn({1, 4, 3, 8, 8}, 4);  // video latents
  ns::JobContext ctx;
  ns::StructuredInitOptions o;
  o.ratio = 0.02;  // t* = 19, the last trailing timestep
  // A denoiser that thinks the sample is 0.9·z0: the result must stay close to z0.
  nstest::OracleStub model(z0 * 0.9, cog, ns::PredictionType::VPrediction);
  ns::StructuredInit init(model, cog);
  auto r = init.run(z0, nstest::biasCond({0.f}), nstest::biasCond({0.f}), o, ctx);
  QVERIFY(r.ok());
  QCOMPARE(r->plan.tStar, int64_t(19));
  QCOMPARE(int(r->plan.timesteps.size()), 1);
  const double rel = (r->latents - z0).norm().item<double>() / z0.norm().item<double>();
  QVERIFY2(rel < 0.15, ("relative distance to z0 at t*=19: " + std::to_string(rel)).c_str());
  o.ratio = 0.7;
  auto far = init.run(z0, nstest::biasCond({0.f}), nstest::biasCond({0.f}), o, ctx);
  const double relStart19 = (r->start - z0).norm().item<double>() / z0.norm().item<double>();
  const double relStart699 = (far->start - z0).norm().item<double>() / z0.norm().item<double>();
  QVERIFY2(relStart19 < relStart699, (std::to_string(relStart19) + " vs " + std::to_string(relStart699)).c_str());
}

void TstStructuredInit::ddimInversionNoising() {
  // With an x-independent ε̂, inverting to t* and denoising back returns z0.
  const ns::NoiseSchedule sd = nstest::sdSchedule();
  nstest::TanhStub model(0.0);
  ns::StructuredInit init(model, sd);
  ns::JobContext ctx;
  ns::StructuredInitOptions o;
  o.noising = ns::StructuredNoising::DdimInversion;
  o.cfgScale = 3.0;
  const at::Tensor z0 = nstest::seededRandn({2, 4, 8, 8}, 5);
  auto r = init.run(z0, nstest::biasCond({0.2f}), nstest::biasCond({0.f}), o, ctx);
  QVERIFY(r.ok());
  QCOMPARE(model.calls, 70);  // 35 up, 35 down
  QVERIFY2(maxAbsDiff(r->latents, z0) < 1e-4, std::to_string(maxAbsDiff(r->latents, z0)).c_str());
}

NS_REGISTER_TEST(TstStructuredInit, timestepListLength, tStar999UnderZeroSnrIsPureNoise, qSampleStartAndDenoise,
                 smallRatioStaysCloseToSketch, ddimInversionNoising)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_structured_init.moc"
#endif
