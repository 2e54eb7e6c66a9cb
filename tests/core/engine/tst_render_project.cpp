// Tests core/engine/render_project.h with the shipped built-in model on examples/red_ball_on_grass
// (shortened to 6 frames and few steps so the binary stays fast): output shape, determinism,
// α ordering of the distance to the sketch, the structured-init timestep count, cancel; and
// core/engine/layout_eval.h: seeded layouts and the IoU scorer on the sketch itself.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include <cstdio>
#include <filesystem>

#include "core/diffusion/noise_schedule.h"
#include "core/diffusion/structured_init.h"
#include "core/engine/layout_eval.h"
#include "core/engine/render_project.h"
#include "core/model/builtin_model.h"
#include "core/model/held_out.h"
#include "core/model/vocabulary.h"

namespace fs = std::filesystem;

namespace {

std::string examplePath() { return (fs::path(NS_SOURCE_DIR) / "examples" / "red_ball_on_grass.nsproj").string(); }

ns::Result<ns::Project> shortExample(int frames) {
  auto p = ns::Project::open(examplePath());
  if (!p.ok()) return p.error();
  p->frames = frames;
  // Keep every key inside the shortened clip: spread the original keys over the new length.
  for (auto& o : p->objects) {
    ns::Trajectory t(o.trajectory.interpolation());
    const auto& keys = o.trajectory.keys();
    const int last = keys.back().frame;
    for (auto k : keys) {
      k.frame = last > 0 ? (k.frame * (frames - 1) + last / 2) / last : 0;
      t.setKey(k);
    }
    o.trajectory = t;
  }
  return p;
}

ns::ModelBundle* sharedModel() {
  static ns::Result<ns::ModelBundle> m = ns::loadBuiltinModel(ns::findBuiltinModelDir());
  return m.ok() ? &*m : nullptr;
}

}  // namespace

class TstRenderProject : public QObject {
  Q_OBJECT
 private slots:
  void rendersShapeAndIsDeterministic();
  void smallRatioStaysNearSketch();
  void timestepCountMatchesPlan();
  void cancelStopsWithinOneStep();
  void evalLayoutsAreSeededHeldOutAndScoreTheSketch();
};

void TstRenderProject::rendersShapeAndIsDeterministic() {
  auto* model = sharedModel();
  if (!model) QSKIP("the shipped built-in model is not available");
  auto p = shortExample(6);
  QVERIFY2(p.ok(), p.ok() ? "" : p.error().message);
  ns::RenderProjectRequest req;
  req.project = *p;
  req.stepsOverride = 10;
  ns::JobContext ctx;
  auto a = ns::renderProject(*model, req, ctx);
  QVERIFY2(a.ok(), a.ok() ? "" : a.error().message);
  QCOMPARE(a->framesTensor.sizes().vec(), (std::vector<int64_t>{6, 3, 64, 64}));
  QCOMPARE(a->frames.count, 6);
  QCOMPARE(a->sketch.count, 6);
  QVERIFY(a->framesTensor.min().item<float>() >= -1.001f && a->framesTensor.max().item<float>() <= 1.001f);
  auto b = ns::renderProject(*model, req, ctx);
  QVERIFY(b.ok());
  const double diff = (a->framesTensor - b->framesTensor).abs().max().item<double>();
  QVERIFY2(diff == 0.0, "same project -> same pixels; max diff " + std::to_string(diff));
  // The live preview renders one frame alone: it must be that frame of the full render (same
  // warped noise and sketch, and one frame per model call in both), bit for bit.
  req.onlyFrame = 4;
  auto one = ns::renderProject(*model, req, ctx);
  QVERIFY2(one.ok(), one.ok() ? "" : one.error().message);
  QCOMPARE(one->framesTensor.size(0), int64_t(1));
  const double d4 = (one->framesTensor[0] - a->framesTensor[4]).abs().max().item<double>();
  const double d3 = (one->framesTensor[0] - a->framesTensor[3]).abs().mean().item<double>();
  QVERIFY2(d4 == 0.0 && d3 > 1e-3, "frame 4 alone vs full render: max diff " + std::to_string(d4) +
                                       " (vs frame 3 mean diff " + std::to_string(d3) + ")");
  req.onlyFrame = 6;
  QVERIFY(!ns::renderProject(*model, req, ctx).ok());
}

void TstRenderProject::smallRatioStaysNearSketch() {
  auto* model = sharedModel();
  if (!model) QSKIP("the shipped built-in model is not available");
  auto p = shortExample(4);
  QVERIFY(p.ok());
  ns::RenderProjectRequest req;
  req.project = *p;
  req.stepsOverride = 10;
  ns::JobContext ctx;
  auto sketch = ns::renderProjectSketch(*p, {});
  QVERIFY(sketch.ok());
  double dist[3];
  const double ratios[3] = {0.2, 0.7, 1.0};
  for (int i = 0; i < 3; ++i) {
    req.ratioOverride = ratios[i];
    auto r = ns::renderProject(*model, req, ctx);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
    dist[i] = (r->framesTensor - sketch->frames).abs().mean().item<double>();
  }
  std::fprintf(stderr, "mean |render - sketch|: α 0.2 %.4f, α 0.7 %.4f, α 1.0 %.4f\n", dist[0], dist[1], dist[2]);
  QVERIFY2(dist[0] < dist[2] && dist[0] < 0.25, "α 0.2 " + std::to_string(dist[0]) + " vs α 1 " + std::to_string(dist[2]));
  QVERIFY2(dist[1] < dist[2], "α 0.7 " + std::to_string(dist[1]) + " vs α 1 " + std::to_string(dist[2]));
}

void TstRenderProject::timestepCountMatchesPlan() {
  auto* model = sharedModel();
  if (!model) QSKIP("the shipped built-in model is not available");
  auto p = shortExample(2);
  QVERIFY(p.ok());
  int denoiseReports = 0, lastTotal = -1;
  ns::JobContext ctx([&](const ns::JobProgress& pr) {
    if (pr.stage == "denoise") ++denoiseReports, lastTotal = pr.total;
  });
  ns::RenderProjectRequest req;
  req.project = *p;
  req.stepsOverride = 20;
  req.ratioOverride = 0.7;
  auto r = ns::renderProject(*model, req, ctx);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  auto schedule = ns::NoiseSchedule::fromConfig(model->denoiser->info().schedule);
  QVERIFY(schedule.ok());
  auto plan = ns::StructuredInit::plan(*schedule, 0.7, 20);
  QVERIFY(plan.ok());
  std::fprintf(stderr, "α 0.7, 20 steps: t* %lld, start index %d, %d denoise steps\n", (long long)plan->tStar,
               plan->startIndex, denoiseReports);
  // Image models denoise one frame at a time (chunk-independent pixels): the plan's steps per frame,
  // counted as one progress run over both frames.
  const int perFrame = denoiseReports / 2;
  QCOMPARE(denoiseReports, 2 * perFrame);
  QCOMPARE(perFrame, 20 - plan->startIndex);
  QCOMPARE(perFrame, int(plan->timesteps.size()));
  QCOMPARE(lastTotal, denoiseReports);
  QVERIFY2(perFrame > 10 && perFrame < 20, "about 0.7·20 steps, got " + std::to_string(perFrame));
}

void TstRenderProject::cancelStopsWithinOneStep() {
  auto* model = sharedModel();
  if (!model) QSKIP("the shipped built-in model is not available");
  auto p = shortExample(2);
  QVERIFY(p.ok());
  int denoiseReports = 0;
  ns::JobContext* self = nullptr;
  ns::JobContext ctx([&](const ns::JobProgress& pr) {
    if (pr.stage != "denoise") return;
    ++denoiseReports;
    self->cancel();
  });
  self = &ctx;
  ns::RenderProjectRequest req;
  req.project = *p;
  req.stepsOverride = 30;
  auto r = ns::renderProject(*model, req, ctx);
  QVERIFY(!r.ok());
  QCOMPARE(int(r.error().kind), int(ns::ErrorKind::Cancelled));
  QVERIFY2(denoiseReports <= 1, "denoise steps after cancel: " + std::to_string(denoiseReports));
}

void TstRenderProject::evalLayoutsAreSeededHeldOutAndScoreTheSketch() {
  double iouSum = 0;
  int samples = 0, found = 0;
  for (uint64_t s = 1; s <= 12; ++s) {
    ns::Project a = ns::makeEvalLayout(s, 8), b = ns::makeEvalLayout(s, 8);
    QCOMPARE(a.toJsonText(), b.toJsonText());
    auto v = a.validate();
    QVERIFY2(v.ok(), v.ok() ? "" : v.error().message);
    QVERIFY(a.objects.size() >= 1 && a.objects.size() <= 2);
    const ns::SceneSpec spec = ns::Vocabulary::parse(a.prompt);
    QVERIFY2(ns::isHeldOutScene(spec), "layout " + std::to_string(s) + " is not held out: " + a.prompt);
    auto sketch = ns::renderProjectSketch(a, {});
    QVERIFY(sketch.ok());
    const ns::LayoutScore sc = ns::scoreLayout(a, sketch->frames);
    iouSum += sc.iouSum, samples += sc.samples, found += sc.found;
  }
  QVERIFY(ns::makeEvalLayout(1, 8).toJsonText() != ns::makeEvalLayout(2, 8).toJsonText());
  const double meanIou = iouSum / samples, foundFrac = double(found) / samples;
  std::fprintf(stderr, "sketch itself: mean IoU %.3f, found %.3f over %d samples\n", meanIou, foundFrac, samples);
  // The flat sketch is the ideal render: its objects are found and fit their planned boxes.
  QVERIFY2(foundFrac > 0.95 && meanIou > 0.75, "sketch IoU " + std::to_string(meanIou) + " found " + std::to_string(foundFrac));
}

NS_REGISTER_TEST(TstRenderProject, rendersShapeAndIsDeterministic, smallRatioStaysNearSketch, timestepCountMatchesPlan,
                 cancelStopsWithinOneStep, evalLayoutsAreSeededHeldOutAndScoreTheSketch)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_render_project.moc"
#endif
