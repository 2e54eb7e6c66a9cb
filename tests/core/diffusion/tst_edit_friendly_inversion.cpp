// Tests core/diffusion/edit_friendly_inversion.h and noise_edits.h: the checks of docs/algorithms.md
// §1.7 (exact reconstruction, z_1 zeroed, skip consistency, auxiliary path statistics, reverse
// step = DDIM η=1) plus batches, video, η=0 refusal, cancel and the noise-map edits.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>

#include "core/diffusion/edit_friendly_inversion.h"
#include "core/diffusion/noise_edits.h"
#include "tests/core/diffusion/stub_denoisers.h"

using nstest::maxAbsDiff;

namespace {

ns::EditFriendlyInvertOptions invertOptions(int steps, uint64_t seed = 7) {
  ns::EditFriendlyInvertOptions o;
  o.steps = steps;
  o.eta = 1.0;
  o.cfgScale = 3.5;
  o.seed = seed;
  return o;
}

ns::EditFriendlyReverseOptions reverseOptions(int skip, double cfg = 3.5) {
  ns::EditFriendlyReverseOptions o;
  o.skip = skip;
  o.cfgScale = cfg;
  return o;
}

std::string num(double v) { return std::to_string(v); }

}  // namespace

class TstEditFriendlyInversion : public QObject {
  Q_OBJECT
 private slots:
  void scheduleNumbersOfTheReference();
  void exactReconstruction();
  void zeroedFirstNoiseErrorIsEtaSigmaZ();
  void skipConsistency();
  void auxiliaryPathStatistics();
  void reverseStepEqualsDdimEtaOne();
  void etaZeroIsRefused();
  void framesVideoAndPromptBatches();
  void cancelStopsWithinOneStep();
  void shiftEditMovesContent();
  void colourEditOffsetsChannels();
  void maskedEditKeepsSourceOutside();
};

void TstEditFriendlyInversion::scheduleNumbersOfTheReference() {
  const ns::NoiseSchedule s = nstest::sdSchedule();
  nstest::TanhStub model;
  ns::EditFriendlyInversion inv(model, s);
  ns::JobContext ctx;
  auto r = inv.invert(nstest::seededRandn({1, 4, 4, 4}, 1), nstest::biasCond({0.2f}), nstest::biasCond({0.f}),
                      invertOptions(100), ctx);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
  QCOMPARE(r->timesteps.front(), int64_t(991));
  QCOMPARE(r->timesteps.back(), int64_t(1));
  QCOMPARE(r->alphaBars[0], 0.99915);
  // §1.2: σ_1 ≈ 0.0206, σ_2 ≈ 0.0378, σ_T ≈ 0.334.
  QVERIFY2(std::fabs(r->sigmas[0] - 0.0206) < 5e-4, num(r->sigmas[0]).c_str());
  QVERIFY2(std::fabs(r->sigmas[1] - 0.0378) < 5e-4, num(r->sigmas[1]).c_str());
  QVERIFY2(std::fabs(r->sigmas[99] - 0.334) < 5e-3, num(r->sigmas[99]).c_str());
  QCOMPARE(int(r->zs.size(0)), 100);
  QCOMPARE(int(r->xts.size(0)), 101);
  QCOMPARE(model.calls, 100);                 // one batched [uncond; cond] call per step
  QCOMPARE(int(model.batches.front()), 2);    // …of batch 2
}

void TstEditFriendlyInversion::exactReconstruction() {
  const ns::NoiseSchedule s = nstest::sdSchedule();
  nstest::TanhStub model;
  ns::EditFriendlyInversion inv(model, s);
  ns::JobContext ctx;
  const at::Tensor x0 = nstest::seededRandn({1, 4, 16, 16}, 2);
  const auto src = nstest::biasCond({0.2f}), un = nstest::biasCond({0.f});
  auto r = inv.invert(x0, src, un, invertOptions(100), ctx);
  QVERIFY(r.ok());
  auto rec = inv.reverse(*r, src, un, reverseOptions(0), ctx);
  QVERIFY2(rec.ok(), rec.ok() ? "" : rec.error().message.c_str());
  const double err = maxAbsDiff(rec.value(), x0);
  QVERIFY2(err < 1e-5, ("max|x̂0 − x0| = " + num(err)).c_str());
  // A different target prompt really changes the result (the maps are not a lookup table).
  auto edited = inv.reverse(*r, nstest::biasCond({0.5f}), un, reverseOptions(0, 15.0), ctx);
  QVERIFY(edited.ok());
  const double change = maxAbsDiff(edited.value(), x0);
  QVERIFY2(change > 1e-2, ("edit changed x0 by only " + num(change)).c_str());
}

void TstEditFriendlyInversion::zeroedFirstNoiseErrorIsEtaSigmaZ() {
  const ns::NoiseSchedule s = nstest::sdSchedule();
  nstest::TanhStub model;
  ns::EditFriendlyInversion inv(model, s);
  ns::JobContext ctx;
  const at::Tensor x0 = nstest::seededRandn({1, 4, 16, 16}, 3);
  const auto src = nstest::biasCond({0.2f}), un = nstest::biasCond({0.f});
  auto keep = inv.invert(x0, src, un, invertOptions(50), ctx);
  auto opts = invertOptions(50);
  opts.zeroFirstNoise = true;
  auto zeroed = inv.invert(x0, src, un, opts, ctx);
  QVERIFY(keep.ok() && zeroed.ok());
  QCOMPARE(zeroed->zs[0].abs().max().item<double>(), 0.0);
  auto rec = inv.reverse(*zeroed, src, un, reverseOptions(0), ctx);
  QVERIFY(rec.ok());
  const at::Tensor expected = keep->zs[0] * (-1.0 * zeroed->sigmas[0]);
  const double d = maxAbsDiff(rec.value() - x0, expected);
  const double mag = expected.abs().max().item<double>();
  QVERIFY2(d < 1e-5 && mag > 1e-3, ("error vs −η·σ_1·z_1: " + num(d) + " (|η·σ_1·z_1| max " + num(mag) + ")").c_str());
}

void TstEditFriendlyInversion::skipConsistency() {
  const ns::NoiseSchedule s = nstest::sdSchedule();
  nstest::TanhStub model;
  ns::EditFriendlyInversion inv(model, s);
  ns::JobContext ctx;
  const auto src = nstest::biasCond({0.2f}), un = nstest::biasCond({0.f});
  auto r = inv.invert(nstest::seededRandn({1, 4, 8, 8}, 4), src, un, invertOptions(40), ctx);
  QVERIFY(r.ok());
  for (int skip : {0, 5, 14, 39}) {
    double worst = 0.0;
    int steps = 0;
    auto o = reverseOptions(skip);
    o.onStep = [&](int k, const at::Tensor& x) {
      worst = std::max(worst, maxAbsDiff(x, r->xts[k - 1]));
      ++steps;
    };
    auto out = inv.reverse(*r, src, un, o, ctx);
    QVERIFY(out.ok());
    QCOMPARE(steps, 40 - skip);
    QVERIFY2(worst < 1e-6, ("skip " + std::to_string(skip) + ": state differs from xts by " + num(worst)).c_str());
  }
}

void TstEditFriendlyInversion::auxiliaryPathStatistics() {
  // x0 = 0: the auxiliary x_k are independent draws with Var = 1 − A_k. (z_k is not tested for
  // Gaussianity: the paper says the maps are not.)
  const ns::NoiseSchedule s = nstest::sdSchedule();
  nstest::TanhStub model;
  ns::EditFriendlyInversion inv(model, s);
  ns::JobContext ctx;
  auto o = invertOptions(20);
  o.cfgScale = 1.0;
  const auto c = nstest::biasCond({0.f});
  auto r = inv.invert(at::zeros({1, 4, 64, 64}), c, c, o, ctx);
  QVERIFY(r.ok());
  const at::Tensor flat = r->xts.flatten(1).to(at::kDouble);  // [T+1, N]
  for (int k = 1; k <= 20; ++k) {
    const double var = flat[k].var().item<double>();
    const double expected = 1.0 - r->alphaBars[size_t(k)];
    QVERIFY2(std::fabs(var / expected - 1.0) < 0.05,
             ("k=" + std::to_string(k) + " var " + num(var) + " expected " + num(expected)).c_str());
  }
  double worstCorr = 0.0;
  for (int k = 1; k <= 20; ++k) {
    for (int j = k + 1; j <= 20; ++j) {
      const at::Tensor a = flat[k] - flat[k].mean(), b = flat[j] - flat[j].mean();
      const double corr = ((a * b).sum() / (a.norm() * b.norm())).item<double>();
      worstCorr = std::max(worstCorr, std::fabs(corr));
    }
  }
  QVERIFY2(worstCorr < 0.05, ("largest |corr(x_k, x_j)| = " + num(worstCorr)).c_str());
}

void TstEditFriendlyInversion::reverseStepEqualsDdimEtaOne() {
  const ns::NoiseSchedule s = nstest::sdSchedule();
  const at::Tensor x = nstest::seededRandn({1, 4, 8, 8}, 5), eps = nstest::seededRandn({1, 4, 8, 8}, 6);
  const at::Tensor z = nstest::seededRandn({1, 4, 8, 8}, 7);
  for (const auto& [t, tp] : std::vector<std::pair<int64_t, int64_t>>{{991, 981}, {501, 491}, {1, -1}}) {
    const double a = s.alphaBar(t), ap = s.alphaBar(tp);
    const ns::PredictionPair pp = ns::splitPrediction(x, eps, ns::PredictionType::Epsilon, a);
    const at::Tensor ef = ns::EditFriendlyInversion::reverseStep(pp, ap, 1.0, ns::EditFriendlyInversion::sigma(a, ap), z);
    const at::Tensor ddim = ns::ddimStep(pp, a, ap, 1.0, z);
    const double d = maxAbsDiff(ef, ddim);
    QVERIFY2(d < 1e-6, ("t=" + std::to_string(t) + ": " + num(d)).c_str());
  }
}

void TstEditFriendlyInversion::etaZeroIsRefused() {
  const ns::NoiseSchedule s = nstest::sdSchedule();
  nstest::TanhStub model;
  ns::EditFriendlyInversion inv(model, s);
  ns::JobContext ctx;
  auto o = invertOptions(10);
  o.eta = 0.0;
  auto r = inv.invert(at::zeros({1, 4, 8, 8}), nstest::biasCond({0.f}), nstest::biasCond({0.f}), o, ctx);
  QVERIFY(!r.ok());
  QVERIFY(r.error().kind == ns::ErrorKind::BadInput);
  QVERIFY2(r.error().message.find("DDIM inversion") != std::string::npos, r.error().message.c_str());
  QCOMPARE(model.calls, 0);
}

void TstEditFriendlyInversion::framesVideoAndPromptBatches() {
  const ns::NoiseSchedule s = nstest::sdSchedule();
  const auto src = nstest::biasCond({0.2f}), un = nstest::biasCond({0.f});
  ns::JobContext ctx;
  {  // video latents [1,C,F,H,W]
    nstest::TanhStub model(0.3, ns::PredictionType::Epsilon, true);
    ns::EditFriendlyInversion inv(model, s);
    const at::Tensor x0 = nstest::seededRandn({1, 4, 3, 8, 8}, 8);
    auto r = inv.invert(x0, src, un, invertOptions(30), ctx);
    QVERIFY(r.ok());
    QCOMPARE(int(r->zs.dim()), 6);
    auto rec = inv.reverse(*r, src, un, reverseOptions(0), ctx);
    QVERIFY(rec.ok());
    QVERIFY2(maxAbsDiff(rec.value(), x0) < 1e-5, num(maxAbsDiff(rec.value(), x0)).c_str());
  }
  {  // a batch of 3 frames with one prompt; then per-frame prompts
    nstest::TanhStub model(0.3, ns::PredictionType::VPrediction);
    ns::EditFriendlyInversion inv(model, s);
    const at::Tensor x0 = nstest::seededRandn({3, 4, 8, 8}, 9);
    auto r = inv.invert(x0, src, un, invertOptions(30), ctx);
    QVERIFY(r.ok());
    auto rec = inv.reverse(*r, src, un, reverseOptions(0), ctx);
    QVERIFY(rec.ok());
    QVERIFY2(maxAbsDiff(rec.value(), x0) < 1e-5, ("v-prediction frames: " + num(maxAbsDiff(rec.value(), x0))).c_str());
    auto perFrame = inv.reverse(*r, nstest::biasCond({0.2f, 0.4f, 0.2f}), un, reverseOptions(0), ctx);
    QVERIFY(perFrame.ok());
    QVERIFY(maxAbsDiff(perFrame.value()[0], x0[0]) < 1e-5);
    QVERIFY(maxAbsDiff(perFrame.value()[1], x0[1]) > 1e-3);
  }
  {  // one image, a batch of prompts [src, tar] with per-row scales [3.5, 15] (p2p style)
    nstest::TanhStub model;
    ns::EditFriendlyInversion inv(model, s);
    const at::Tensor x0 = nstest::seededRandn({1, 4, 8, 8}, 10);
    auto r = inv.invert(x0, src, un, invertOptions(30), ctx);
    QVERIFY(r.ok());
    auto o = reverseOptions(0);
    o.cfgPerRow = {3.5, 15.0};
    auto out = inv.reverse(*r, nstest::biasCond({0.2f, 0.6f}), un, o, ctx);
    QVERIFY2(out.ok(), out.ok() ? "" : out.error().message.c_str());
    QCOMPARE(int(out->size(0)), 2);
    QVERIFY2(maxAbsDiff(out.value()[0], x0[0]) < 1e-5, num(maxAbsDiff(out.value()[0], x0[0])).c_str());
    QVERIFY(maxAbsDiff(out.value()[1], x0[0]) > 1e-2);
    auto bad = inv.reverse(*r, nstest::biasCond({0.2f, 0.6f}), un, [] {
      auto o2 = reverseOptions(0);
      o2.cfgPerRow = {1.0, 2.0, 3.0};
      return o2;
    }(), ctx);
    QVERIFY(!bad.ok());
  }
}

void TstEditFriendlyInversion::cancelStopsWithinOneStep() {
  const ns::NoiseSchedule s = nstest::sdSchedule();
  nstest::TanhStub model;
  ns::EditFriendlyInversion inv(model, s);
  int reports = 0;
  ns::JobContext ctx([&](const ns::JobProgress& p) {
    reports = p.step;
    QCOMPARE(p.total, 50);
  });
  model.beforePredict = [&] {
    if (model.calls == 5) ctx.cancel();  // cancelled during the 5th model call
  };
  auto r = inv.invert(at::zeros({1, 4, 8, 8}), nstest::biasCond({0.2f}), nstest::biasCond({0.f}), invertOptions(50),
                      ctx);
  QVERIFY(!r.ok());
  QVERIFY(r.error().kind == ns::ErrorKind::Cancelled);
  QVERIFY2(model.calls == 5, ("model calls after cancel: " + std::to_string(model.calls)).c_str());
  QCOMPARE(reports, 5);
}

void TstEditFriendlyInversion::shiftEditMovesContent() {
  // The stub is elementwise and the same everywhere, so shifting x_T, z_k and x_k by (dx, dy)
  // must move the reconstruction by exactly (dx, dy) away from the exposed border.
  const ns::NoiseSchedule s = nstest::sdSchedule();
  nstest::TanhStub model;
  ns::EditFriendlyInversion inv(model, s);
  ns::JobContext ctx;
  const auto src = nstest::biasCond({0.2f}), un = nstest::biasCond({0.f});
  const at::Tensor x0 = nstest::seededRandn({1, 4, 16, 16}, 11);
  auto r = inv.invert(x0, src, un, invertOptions(40), ctx);
  QVERIFY(r.ok());
  const int dx = 3, dy = -2;
  auto shifted = ns::NoiseEdits::shift(*r, dx, dy, 99);
  QVERIFY(shifted.ok());
  for (int skip : {0, 12}) {
    auto out = inv.reverse(*shifted, src, un, reverseOptions(skip), ctx);
    QVERIFY(out.ok());
    // out[y, x] == x0[y − dy, x − dx] for target rows 0..13 and columns 3..15.
    const at::Tensor got = out->narrow(2, 0, 14).narrow(3, 3, 13);
    const at::Tensor want = x0.narrow(2, 2, 14).narrow(3, 0, 13);
    const double d = maxAbsDiff(got, want);
    QVERIFY2(d < 1e-5, ("skip " + std::to_string(skip) + ": shifted content differs by " + num(d)).c_str());
    // The exposed border is new content, not a copy of x0's edge.
    QVERIFY(maxAbsDiff(out->narrow(3, 0, 3), x0.narrow(3, 0, 3)) > 0.1);
  }
  QVERIFY(!ns::NoiseEdits::shift(*r, 16, 0, 1).ok());
}

void TstEditFriendlyInversion::colourEditOffsetsChannels() {
  // With an x-independent ε̂ the documented rule lands exactly on x0 + δ for any skip.
  const ns::NoiseSchedule s = nstest::sdSchedule();
  nstest::TanhStub model(0.0);
  ns::EditFriendlyInversion inv(model, s);
  ns::JobContext ctx;
  const auto src = nstest::biasCond({0.2f}), un = nstest::biasCond({0.f});
  const at::Tensor x0 = nstest::seededRandn({1, 4, 8, 8}, 12);
  auto r = inv.invert(x0, src, un, invertOptions(50), ctx);
  QVERIFY(r.ok());
  const std::vector<double> delta = {0.5, -0.25, 0.0, 1.0};
  auto edited = ns::NoiseEdits::colourOffset(*r, delta);
  QVERIFY(edited.ok());
  for (int skip : {0, 20}) {
    auto out = inv.reverse(*edited, src, un, reverseOptions(skip), ctx);
    QVERIFY(out.ok());
    for (int c = 0; c < 4; ++c) {
      const at::Tensor diff = out.value().select(1, c) - x0.select(1, c);
      const double mean = diff.mean().item<double>(), spread = (diff - mean).abs().max().item<double>();
      QVERIFY2(std::fabs(mean - delta[size_t(c)]) < 1e-4 && spread < 1e-4,
               ("skip " + std::to_string(skip) + " channel " + std::to_string(c) + ": offset " + num(mean) +
                " (want " + num(delta[size_t(c)]) + "), spread " + num(spread))
                   .c_str());
    }
  }
  QVERIFY(!ns::NoiseEdits::colourOffset(*r, {1.0, 2.0}).ok());
}

void TstEditFriendlyInversion::maskedEditKeepsSourceOutside() {
  const ns::NoiseSchedule s = nstest::sdSchedule();
  nstest::TanhStub model;  // x-dependent
  ns::EditFriendlyInversion inv(model, s);
  ns::JobContext ctx;
  const auto src = nstest::biasCond({0.2f}), un = nstest::biasCond({0.f});
  const at::Tensor x0 = nstest::seededRandn({1, 4, 16, 16}, 13);
  auto r = inv.invert(x0, src, un, invertOptions(40), ctx);
  QVERIFY(r.ok());
  auto edited = ns::NoiseEdits::colourOffset(*r, {0.8, 0.8, 0.8, 0.8});
  QVERIFY(edited.ok());
  auto o = reverseOptions(0);
  o.mask = ns::NoiseEdits::boxMask(16, 16, 4, 4, 12, 12);
  o.sourcePath = &r.value();
  auto out = inv.reverse(*edited, src, un, o, ctx);
  QVERIFY2(out.ok(), out.ok() ? "" : out.error().message.c_str());
  const at::Tensor outsideMask = (1 - o.mask).to(at::kBool).expand_as(x0);
  const double outside = (out.value() - x0).abs().masked_select(outsideMask).max().item<double>();
  QVERIFY2(outside < 1e-5, ("outside the mask the result moved by " + num(outside)).c_str());
  const double inside = (out->narrow(2, 4, 8).narrow(3, 4, 8) - x0.narrow(2, 4, 8).narrow(3, 4, 8)).mean().item<double>();
  QVERIFY2(inside > 0.3, ("mean change inside the mask only " + num(inside)).c_str());
  o.sourcePath = nullptr;
  QVERIFY(!inv.reverse(*edited, src, un, o, ctx).ok());
}

NS_REGISTER_TEST(TstEditFriendlyInversion, scheduleNumbersOfTheReference, exactReconstruction,
                 zeroedFirstNoiseErrorIsEtaSigmaZ, skipConsistency, auxiliaryPathStatistics,
                 reverseStepEqualsDdimEtaOne, etaZeroIsRefused, framesVideoAndPromptBatches, cancelStopsWithinOneStep,
                 shiftEditMovesContent, colourEditOffsetsChannels, maskedEditKeepsSourceOutside)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_edit_friendly_inversion.moc"
#endif
