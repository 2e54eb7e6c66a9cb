// Tests core/eval/video_metrics.h and eval_clips.h on constructed inputs: a clip that moves
// exactly along its flow has flicker 0 (split into object and background pixels), per-frame
// Gaussian noise gives the flicker the normal distribution predicts, occluded pixels and targets
// off the canvas are not compared, the planned sketch itself flickers far less than its frames
// in reverse order; identity is 1 for identical first and last frames and 0 when the object's
// colour changes (the shipped shapes classifier); long eval clips continue the short clip's
// objects at the same speed per frame.
#include "tests/support/ns_test.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <filesystem>

#include "core/engine/layout_eval.h"
#include "core/eval/eval_clips.h"
#include "core/eval/video_metrics.h"
#include "core/model/builtin_model.h"
#include "core/model/shapes_verifier.h"
#include "core/plan/sketch_renderer.h"

namespace fs = std::filesystem;

namespace {

// F frames of H x W cut from one random texture, frame k shifted by k*(dx, dy) pixels: content at
// p in frame k is at p + (dx, dy) in frame k+1. Values in [-1, 1].
at::Tensor movingTexture(int64_t F, int64_t H, int64_t W, int dx, int dy, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  const int64_t pad = F * (std::abs(dx) + std::abs(dy)) + 2;
  const at::Tensor texture = at::rand({3, H + 2 * pad, W + 2 * pad}, gen) * 2 - 1;
  std::vector<at::Tensor> frames;
  for (int64_t k = 0; k < F; ++k)
    frames.push_back(texture.narrow(1, pad - k * dy, H).narrow(2, pad - k * dx, W).unsqueeze(0));
  return at::cat(frames).contiguous();
}

at::Tensor constantFlow(int64_t F, int64_t H, int64_t W, float dx, float dy) {
  at::Tensor flow = at::empty({F - 1, 2, H, W});
  flow.select(1, 0).fill_(dx);
  flow.select(1, 1).fill_(dy);
  return flow;
}

}  // namespace

class TstVideoMetrics : public QObject {
  Q_OBJECT
 private slots:
  void exactMotionHasNoFlicker();
  void perFrameNoiseFlickers();
  void occludedAndOffCanvasPixelsAreSkipped();
  void sketchFlickersLessThanReversedSketch();
  void identityOfFirstAndLastFrame();
  void longClipsContinueShortClips();
};

void TstVideoMetrics::exactMotionHasNoFlicker() {
  const int64_t F = 6, H = 24, W = 32;
  const at::Tensor frames = movingTexture(F, H, W, 2, -1, 7);
  const at::Tensor flow = constantFlow(F, H, W, 2.f, -1.f);
  // Left half "object", right half background: both parts are compared and both are 0.
  at::Tensor objects = at::full({F, H, W}, -1, at::kLong);
  objects.narrow(2, 0, W / 2).fill_(0);
  const ns::FlickerScore s = ns::temporalFlicker(frames, flow, at::Tensor(), objects);
  QCOMPARE(s.all, 0.0);
  QCOMPARE(s.object, 0.0);
  QCOMPARE(s.background, 0.0);
  // Every pixel whose target stays inside: x + 2 <= W - 1 and y - 1 >= 0.
  QCOMPARE(s.objectPixels + s.backgroundPixels, (F - 1) * (H - 1) * (W - 2));
  QVERIFY(s.objectPixels > 0 && s.backgroundPixels > 0);
  // The same clip judged against a wrong flow (standing still) is not coherent.
  const ns::FlickerScore still = ns::temporalFlicker(frames, constantFlow(F, H, W, 0, 0), at::Tensor(), objects);
  qInfo("texture moving (2,-1) px/frame: flicker %.4f along its flow, %.4f against zero flow", s.all, still.all);
  QVERIFY(still.all > 0.2);
  // Sub-pixel flow: bilinear sampling reproduces a linear ramp exactly, so a ramp moving half a
  // pixel per frame along a half-pixel flow has no flicker either.
  at::Tensor ramp = at::arange(W, at::kFloat).div(W).view({1, 1, 1, W}).expand({F, 3, H, W}).contiguous();
  for (int64_t k = 0; k < F; ++k) ramp[k].sub_(0.5f * float(k) / float(W));  // moves right by 0.5 px per frame
  const ns::FlickerScore half = ns::temporalFlicker(ramp, constantFlow(F, H, W, 0.5f, 0), at::Tensor(), at::Tensor());
  QVERIFY2(half.all < 1e-6, std::to_string(half.all));
}

void TstVideoMetrics::perFrameNoiseFlickers() {
  const int64_t F = 8, H = 48, W = 48;
  const at::Tensor clean = movingTexture(F, H, W, 1, 1, 3);
  const at::Tensor flow = constantFlow(F, H, W, 1.f, 1.f);
  at::Generator gen = at::detail::createCPUGenerator(11);
  const double sigma = 0.2;  // in [-1,1] units: 0.1 in [0,1] units
  const at::Tensor noisy = clean + at::randn(clean.sizes(), gen) * sigma;
  const ns::FlickerScore s = ns::temporalFlicker(noisy, flow, at::Tensor(), at::Tensor());
  // Two frames' independent noise: the difference is N(0, 2 (sigma/2)^2), whose mean |.| is
  // (sigma/2) sqrt(2) sqrt(2/pi) = sigma / sqrt(pi).
  const double expected = sigma / std::sqrt(M_PI);
  qInfo("per-frame noise sigma %.2f: flicker %.5f, expected %.5f", sigma, s.all, expected);
  QVERIFY(std::abs(s.all - expected) < 0.03 * expected);
  // Twice the noise, twice the flicker.
  const ns::FlickerScore twice =
      ns::temporalFlicker(clean + at::randn(clean.sizes(), gen) * (2 * sigma), flow, at::Tensor(), at::Tensor());
  QVERIFY(std::abs(twice.all / s.all - 2.0) < 0.06);
  QCOMPARE(s.objectPixels, int64_t(0));  // no object mask: everything is background
  QCOMPARE(s.background, s.all);
}

void TstVideoMetrics::occludedAndOffCanvasPixelsAreSkipped() {
  const int64_t F = 3, H = 8, W = 8;
  at::Tensor frames = at::zeros({F, 3, H, W});
  frames[1].narrow(1, 0, 2).fill_(1.f);  // rows 0-1 change from frame 0 to 1: marked occluded in frame 0
  frames[2].narrow(1, 0, 2).fill_(1.f);  // and stay so in frame 2
  at::Tensor occlusion = at::zeros({F - 1, 1, H, W});
  occlusion[0].narrow(1, 0, 2).fill_(1.f);
  ns::FlickerScore s = ns::temporalFlicker(frames, constantFlow(F, H, W, 0, 0), occlusion, at::Tensor());
  QCOMPARE(s.all, 0.0);
  QCOMPARE(s.backgroundPixels, (F - 1) * H * W - 2 * W);
  // Without the mask the change counts: 2 rows of W pixels in the first pair, |1 - 0| / 2 = 0.5 each.
  s = ns::temporalFlicker(frames, constantFlow(F, H, W, 0, 0), at::Tensor(), at::Tensor());
  QVERIFY2(std::abs(s.all - (2.0 * W * 0.5) / double((F - 1) * H * W)) < 1e-9, std::to_string(s.all));
  // A flow that leaves the canvas everywhere compares nothing (and does not read outside).
  s = ns::temporalFlicker(frames, constantFlow(F, H, W, float(W), 0), at::Tensor(), at::Tensor());
  QCOMPARE(s.objectPixels + s.backgroundPixels, int64_t(0));
  QCOMPARE(s.all, 0.0);
  // Shapes are checked.
  bool threw = false;
  try {
    ns::temporalFlicker(frames, constantFlow(F + 1, H, W, 0, 0), at::Tensor(), at::Tensor());
  } catch (const c10::Error&) {
    threw = true;
  }
  QVERIFY(threw);
}

void TstVideoMetrics::sketchFlickersLessThanReversedSketch() {
  const ns::Project p = ns::makeVideoEvalClip(7001, 16, 16);
  auto sketch = ns::SketchRenderer().render(p);
  QVERIFY2(sketch.ok(), sketch.ok() ? "" : sketch.error().message);
  const ns::FlickerScore s = ns::temporalFlicker(sketch->frames, sketch->flow, sketch->occlusion, sketch->objectIndex);
  const ns::FlickerScore rev =
      ns::temporalFlicker(sketch->frames.flip({0}), sketch->flow, sketch->occlusion, sketch->objectIndex);
  qInfo("planned sketch: flicker %.4f (object %.4f, background %.4f); frames reversed %.4f (object %.4f)", s.all,
        s.object, s.background, rev.all, rev.object);
  QVERIFY(s.objectPixels > 0);
  // The flat gradient background does not move: nothing to see there but where objects uncover it.
  QVERIFY(s.background < 0.01);
  // Objects are drawn anti-aliased at sub-pixel positions, so the sketch is not exactly 0 — but
  // far below the same frames played backwards.
  QVERIFY(s.object < 0.05);
  QVERIFY(rev.object > 3 * s.object);
}

void TstVideoMetrics::identityOfFirstAndLastFrame() {
  const fs::path dir = fs::path(NS_SOURCE_DIR) / "resources" / "models" / "builtin";
  if (!fs::exists(dir / "verifier.safetensors")) QSKIP("resources/models/builtin has no shapes classifier");
  auto model = ns::loadBuiltinModel(dir.string());
  QVERIFY2(model.ok(), model.ok() ? "" : model.error().message);
  auto* shapes = dynamic_cast<ns::ShapesVerifier*>(model->verifier.get());
  QVERIFY(shapes != nullptr);
  // The sketch of a one-object clip: its first and last frames, and the last frame of the same clip
  // with the object in another colour.
  ns::Project p = ns::makeVideoEvalClip(7002, 8, 8);
  p.objects.resize(1);
  auto a = ns::SketchRenderer().render(p);
  QVERIFY(a.ok());
  const std::vector<ns::NormBox> first{p.layoutAt(0)[0].box}, last{p.layoutAt(7)[0].box};
  const at::Tensor f0 = a->frames[0], f7 = a->frames[7];
  QCOMPARE(ns::identityAgreement(*shapes, f0, f0, first, first), 1.0);
  QCOMPARE(ns::identityAgreement(*shapes, f7, f7, last, last), 1.0);
  QCOMPARE(ns::identityAgreement(*shapes, f0, f7, {}, {}), 1.0);  // no objects, nothing drifted
  const std::string colour = p.objects[0].source.colour;
  ns::Project recoloured = p;
  recoloured.objects[0].source.colour = colour == "blue" ? "yellow" : "blue";
  auto b = ns::SketchRenderer().render(recoloured);
  QVERIFY(b.ok());
  const double same = ns::identityAgreement(*shapes, f0, f7, first, last);
  const double changed = ns::identityAgreement(*shapes, f0, b->frames[7], first, last);
  qInfo("identity: %s object first vs last %.0f, vs last recoloured %s %.0f", colour.c_str(), same,
        recoloured.objects[0].source.colour.c_str(), changed);
  QCOMPARE(changed, 0.0);
}

void TstVideoMetrics::longClipsContinueShortClips() {
  for (uint64_t seed : {7001ull, 7002ull, 7003ull}) {
    const ns::Project shortClip = ns::makeVideoEvalClip(seed, 16, 16);
    const ns::Project same = ns::makeEvalLayout(seed, 16);
    QCOMPARE(shortClip.prompt, same.prompt);
    QCOMPARE(shortClip.objects.size(), same.objects.size());
    QVERIFY(shortClip.objects[0].trajectory == same.objects[0].trajectory);
    const ns::Project longClip = ns::makeVideoEvalClip(seed, 16, 48);
    QCOMPARE(longClip.frames, 48);
    QCOMPARE(longClip.prompt, shortClip.prompt);
    QVERIFY(longClip.validate().ok());
    QVERIFY(longClip.objects[0].trajectory == ns::makeVideoEvalClip(seed, 16, 48).objects[0].trajectory);
    // Same speed per frame: the longest step of a centre in the long clip is within 2x the short
    // clip's (new keys are random boxes at the short clip's key spacing).
    auto maxStep = [](const ns::Project& p) {
      double m = 0;
      for (int k = 0; k + 1 < p.frames; ++k)
        for (size_t o = 0; o < p.objects.size(); ++o) {
          const ns::NormBox a = p.layoutAt(k)[o].box, b = p.layoutAt(k + 1)[o].box;
          m = std::max(m, double(std::hypot(b.cx() - a.cx(), b.cy() - a.cy())));
        }
      return m;
    };
    const double s = maxStep(shortClip), l = maxStep(longClip);
    qInfo("seed %llu: longest centre step %.4f (16 frames), %.4f (48 frames)", (unsigned long long)seed, s, l);
    QVERIFY(l < 2.5 * std::max(s, 0.01));
    // Objects stay on the canvas.
    for (int k = 0; k < longClip.frames; ++k)
      for (const ns::SceneObject& o : longClip.layoutAt(k)) QVERIFY(o.box.x0 > -0.05f && o.box.x1 < 1.05f);
  }
}

NS_REGISTER_TEST(TstVideoMetrics, exactMotionHasNoFlicker, perFrameNoiseFlickers, occludedAndOffCanvasPixelsAreSkipped,
                 sketchFlickersLessThanReversedSketch, identityOfFirstAndLastFrame, longClipsContinueShortClips)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_video_metrics.moc"
#endif
