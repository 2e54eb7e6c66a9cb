// Tests core/diffusion/ddim_sampler.h and guided_predictor.h: batching of [uncond; cond],
// prediction types, cancel within one step, progress and previews, η noise, model errors.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/util/Exception.h>

#include <string>

#include "core/diffusion/ddim_sampler.h"
#include "tests/core/diffusion/stub_denoisers.h"

using nstest::maxAbsDiff;

namespace {

class ThrowingStub : public nstest::TanhStub {
 public:
  at::Tensor predict(const at::Tensor& x, const at::Tensor& t, const ns::Conditioning& c) override {
    TORCH_CHECK(false, "weights missing");
    return nstest::TanhStub::predict(x, t, c);
  }
};

}  // namespace

class TstDdimSampler : public QObject {
  Q_OBJECT
 private slots:
  void guidanceBatchesUncondAndCond();
  void everyPredictionTypeReachesTheOracle();
  void imageFramesAndVideoShapes();
  void cancelStopsWithinOneStep();
  void progressAndPreview();
  void etaNoiseIsSeeded();
  void errorsAreValues();
};

void TstDdimSampler::guidanceBatchesUncondAndCond() {
  const ns::NoiseSchedule s = nstest::sdSchedule();
  const auto ts = s.timesteps(10);
  ns::JobContext ctx;
  nstest::TanhStub guided;
  auto a = ns::sampleDdim(guided, s, nstest::seededRandn({3, 4, 8, 8}, 1), ts, nstest::biasCond({0.2f}),
                          nstest::biasCond({0.f}), 7.5, 0.0, nullptr, ctx);
  QVERIFY(a.ok());
  QCOMPARE(guided.calls, 10);
  QCOMPARE(int(guided.batches.front()), 6);  // [uncond; cond] of 3 rows
  nstest::TanhStub plain;
  auto b = ns::sampleDdim(plain, s, nstest::seededRandn({3, 4, 8, 8}, 1), ts, nstest::biasCond({0.2f}),
                          nstest::biasCond({0.f}), 1.0, 0.0, nullptr, ctx);
  QVERIFY(b.ok());
  QCOMPARE(int(plain.batches.front()), 3);  // cfg 1: cond only
  QVERIFY(maxAbsDiff(a.value(), b.value()) > 1e-3);
}

void TstDdimSampler::everyPredictionTypeReachesTheOracle() {
  ns::ScheduleConfig c;
  c.setAlphaToOne = true;  // the last step lands on x̂0 itself
  const ns::NoiseSchedule s = ns::NoiseSchedule::fromConfig(c).value();
  const at::Tensor target = nstest::seededRandn({1, 4, 8, 8}, 2);
  for (auto p : {ns::PredictionType::Epsilon, ns::PredictionType::VPrediction, ns::PredictionType::Sample}) {
    nstest::OracleStub model(target, s, p);
    ns::JobContext ctx;
    auto x = ns::sampleDdim(model, s, nstest::seededRandn({1, 4, 8, 8}, 3), s.timesteps(20),
                            nstest::biasCond({0.f}), nstest::biasCond({0.f}), 1.0, 0.0, nullptr, ctx);
    QVERIFY(x.ok());
    const double d = maxAbsDiff(x.value(), target);
    QVERIFY2(d < 1e-4, ("prediction " + std::to_string(int(p)) + " misses the oracle by " + std::to_string(d)).c_str());
  }
}

void TstDdimSampler::imageFramesAndVideoShapes() {
  const ns::NoiseSchedule s = nstest::sdSchedule();
  ns::JobContext ctx;
  nstest::TanhStub video(0.3, ns::PredictionType::Epsilon, true);
  auto v = ns::sampleDdim(video, s, nstest::seededRandn({2, 4, 5, 8, 8}, 4), s.timesteps(5),
                          nstest::biasCond({0.2f}), nstest::biasCond({0.f}), 4.0, 0.0, nullptr, ctx);
  QVERIFY(v.ok());
  QVERIFY(v->sizes() == at::IntArrayRef({2, 4, 5, 8, 8}));
  // Per-row prompts; rows with equal prompt and start agree.
  nstest::TanhStub img;
  const at::Tensor x = nstest::seededRandn({1, 4, 8, 8}, 5).repeat({3, 1, 1, 1});
  auto r = ns::sampleDdim(img, s, x, s.timesteps(5), nstest::biasCond({0.2f, 0.5f, 0.2f}), nstest::biasCond({0.f}),
                          4.0, 0.0, nullptr, ctx);
  QVERIFY(r.ok());
  QCOMPARE(maxAbsDiff(r.value()[0], r.value()[2]), 0.0);
  QVERIFY(maxAbsDiff(r.value()[0], r.value()[1]) > 1e-3);
  auto bad = ns::sampleDdim(img, s, x, s.timesteps(5), nstest::biasCond({0.2f, 0.5f}), nstest::biasCond({0.f}), 4.0,
                            0.0, nullptr, ctx);
  QVERIFY(!bad.ok());
  QVERIFY(bad.error().kind == ns::ErrorKind::BadInput);
  // Starting mid-schedule: any descending list.
  auto mid = ns::sampleDdim(img, s, x, {699, 400, 19}, nstest::biasCond({0.2f}), nstest::biasCond({0.f}), 1.0, 0.0,
                            nullptr, ctx);
  QVERIFY(mid.ok());
  QVERIFY(!ns::sampleDdim(img, s, x, {19, 400}, nstest::biasCond({0.2f}), nstest::biasCond({0.f}), 1.0, 0.0, nullptr,
                          ctx)
               .ok());
}

void TstDdimSampler::cancelStopsWithinOneStep() {
  const ns::NoiseSchedule s = nstest::sdSchedule();
  nstest::TanhStub model;
  ns::JobContext ctx([&](const ns::JobProgress& p) {
    if (p.step == 3) ctx.cancel();
  });
  auto x = ns::sampleDdim(model, s, nstest::seededRandn({1, 4, 8, 8}, 6), s.timesteps(50), nstest::biasCond({0.2f}),
                          nstest::biasCond({0.f}), 7.5, 0.0, nullptr, ctx);
  QVERIFY(!x.ok());
  QVERIFY(x.error().kind == ns::ErrorKind::Cancelled);
  QVERIFY2(model.calls == 3, ("model calls after cancel at step 3: " + std::to_string(model.calls)).c_str());
}

void TstDdimSampler::progressAndPreview() {
  const ns::NoiseSchedule s = nstest::sdSchedule();
  nstest::TanhStub model;
  std::vector<int> steps;
  int previews = 0;
  ns::JobContext ctx([&](const ns::JobProgress& p) {
    steps.push_back(p.step);
    QCOMPARE(p.total, 8);
    QCOMPARE(p.stage, std::string("denoise"));
    if (p.preview) {
      ++previews;
      QCOMPARE(int(p.preview->size(1)), 3);  // decoded to RGB
    }
  });
  int decodes = 0;
  auto decode = [&](const at::Tensor& x0) {
    ++decodes;
    return x0.narrow(1, 0, 3).clamp(-1, 1);
  };
  auto x = ns::sampleDdim(model, s, nstest::seededRandn({1, 4, 8, 8}, 7), s.timesteps(8), nstest::biasCond({0.2f}),
                          nstest::biasCond({0.f}), 2.0, 0.0, nullptr, ctx, decode);
  QVERIFY(x.ok());
  QCOMPARE(int(steps.size()), 8);
  QCOMPARE(steps.back(), 8);
  QCOMPARE(previews, 0);  // not asked for
  QCOMPARE(decodes, 0);
  steps.clear();
  ctx.setWantsPreview(true);
  x = ns::sampleDdim(model, s, nstest::seededRandn({1, 4, 8, 8}, 7), s.timesteps(8), nstest::biasCond({0.2f}),
                     nstest::biasCond({0.f}), 2.0, 0.0, nullptr, ctx, decode);
  QVERIFY(x.ok());
  QCOMPARE(previews, 8);
  QCOMPARE(decodes, 8);
}

void TstDdimSampler::etaNoiseIsSeeded() {
  const ns::NoiseSchedule s = nstest::sdSchedule();
  nstest::TanhStub model;
  ns::JobContext ctx;
  const at::Tensor xT = nstest::seededRandn({1, 4, 8, 8}, 8);
  auto run = [&](uint64_t seed) {
    at::Generator gen = at::detail::createCPUGenerator(seed);
    return ns::sampleDdim(model, s, xT, s.timesteps(10), nstest::biasCond({0.2f}), nstest::biasCond({0.f}), 3.0, 1.0,
                          &gen, ctx);
  };
  auto a = run(1), b = run(1), c = run(2);
  QVERIFY(a.ok() && b.ok() && c.ok());
  QCOMPARE(maxAbsDiff(a.value(), b.value()), 0.0);
  QVERIFY(maxAbsDiff(a.value(), c.value()) > 1e-3);
  auto noGen = ns::sampleDdim(model, s, xT, s.timesteps(10), nstest::biasCond({0.2f}), nstest::biasCond({0.f}), 3.0,
                              1.0, nullptr, ctx);
  QVERIFY(!noGen.ok());
  QVERIFY2(noGen.error().message.find("generator") != std::string::npos, noGen.error().message.c_str());
}

void TstDdimSampler::errorsAreValues() {
  const ns::NoiseSchedule s = nstest::sdSchedule();
  ThrowingStub model;
  ns::JobContext ctx;
  auto x = ns::sampleDdim(model, s, nstest::seededRandn({1, 4, 8, 8}, 9), s.timesteps(10), nstest::biasCond({0.2f}),
                          nstest::biasCond({0.f}), 3.0, 0.0, nullptr, ctx);
  QVERIFY(!x.ok());
  QVERIFY(x.error().kind == ns::ErrorKind::Model);
  QVERIFY2(x.error().message.find("weights missing") != std::string::npos, x.error().message.c_str());
}

NS_REGISTER_TEST(TstDdimSampler, guidanceBatchesUncondAndCond, everyPredictionTypeReachesTheOracle,
                 imageFramesAndVideoShapes, cancelStopsWithinOneStep, progressAndPreview, etaNoiseIsSeeded,
                 errorsAreValues)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_ddim_sampler.moc"
#endif
