// Tests core/engine/model_planning.h and backdrop_matting.h: the plan cache (hit, miss by each
// part of the key, a corrupt file is planned again), the derived background prompt, the backdrop
// cut-out on synthetic pictures (area, box, soft edges, a ring keeps its hole), and with the
// shipped built-in model: an empty plan's generated background follows the prompt per the
// shapes verifier (where the white default sketch does not), and a generated object's sprite
// is cut out and stays inside its box in the sketch.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <QTemporaryDir>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/engine/backdrop_matting.h"
#include "core/engine/model_planning.h"
#include "core/engine/render_project.h"
#include "core/model/builtin_model.h"
#include "core/model/shapes_verifier.h"
#include "core/model/vocabulary.h"
#include "core/noise/layout_iou_verifier.h"

namespace fs = std::filesystem;

namespace {

ns::ModelBundle* sharedModel() {
  static ns::Result<ns::ModelBundle> m = ns::loadBuiltinModel(ns::findBuiltinModelDir());
  return m.ok() ? &*m : nullptr;
}

// An empty plan: no objects, a "generate" background from the prompt, few steps and frames.
ns::Project emptyPlan(const std::string& prompt, uint64_t seed) {
  ns::Project p = ns::Project::untitled();
  p.prompt = prompt;
  p.seed = seed;
  p.frames = 2;
  p.render.steps = 10;
  return p;
}

ns::ProjectObject generatedObject(const std::string& id, const std::string& prompt, ns::NormBox box, int frames) {
  ns::ProjectObject o;
  o.id = id;
  o.prompt = prompt;
  o.source.kind = ns::SourceKind::Generate;
  ns::Keyframe k;
  k.frame = 0;
  k.box = box;
  o.trajectory.setKey(k);
  k.frame = frames - 1;
  k.box = {box.x0 + 0.2f, box.y0, box.x1 + 0.2f, box.y1};
  o.trajectory.setKey(k);
  return o;
}

int filesIn(const std::string& dir) {
  std::error_code ec;
  int n = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); ++it) ++n;
  return n;
}

// A picture [3,H,W] in [-1,1]: a flat backdrop and a disc (or ring) with an anti-aliased edge.
at::Tensor discPicture(int size, float cx, float cy, float r, float hole, std::array<float, 3> fg, std::array<float, 3> bg) {
  at::Tensor img = at::empty({3, size, size});
  auto a = img.accessor<float, 3>();
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const float d = std::hypot(x + 0.5f - cx, y + 0.5f - cy);
      float cover = std::clamp(r - d + 0.5f, 0.f, 1.f);
      if (hole > 0) cover = std::min(cover, std::clamp(d - hole + 0.5f, 0.f, 1.f));
      for (int c = 0; c < 3; ++c) a[c][y][x] = (cover * fg[size_t(c)] + (1 - cover) * bg[size_t(c)]) * 2 - 1;
    }
  return img;
}

}  // namespace

class TstModelPlanning : public QObject {
  Q_OBJECT
 private slots:
  void cacheKeyNamesEveryInput();
  void derivedBackgroundPromptDropsObjects();
  void backdropCutOutFindsTheDisc();
  void backdropCutOutKeepsARingsHoleAndRefusesBlankPictures();
  void cacheHitMissAndCorruptFile();
  void emptyPlanBackgroundFollowsThePrompt();
  void generatedObjectIsCutOutIntoItsBox();
};

void TstModelPlanning::cacheKeyNamesEveryInput() {
  ns::ModelBundle none;  // no model: the key still names every input it is given
  const std::string base = ns::planCacheKey(none, "background", "on grass", "", 7, 64, 64, 30, 4.0);
  QCOMPARE(ns::planCacheKey(none, "background", "on grass", "", 7, 64, 64, 30, 4.0), base);
  const std::vector<std::string> others{
      ns::planCacheKey(none, "object", "on grass", "", 7, 64, 64, 30, 4.0),
      ns::planCacheKey(none, "background", "on sand", "", 7, 64, 64, 30, 4.0),
      ns::planCacheKey(none, "background", "on grass", "blurry", 7, 64, 64, 30, 4.0),
      ns::planCacheKey(none, "background", "on grass", "", 8, 64, 64, 30, 4.0),
      ns::planCacheKey(none, "background", "on grass", "", 7, 128, 64, 30, 4.0),
      ns::planCacheKey(none, "background", "on grass", "", 7, 64, 64, 20, 4.0),
      ns::planCacheKey(none, "background", "on grass", "", 7, 64, 64, 30, 5.0)};
  for (const auto& k : others) {
    QVERIFY(k != base);
    QVERIFY(ns::planCacheFileName(k) != ns::planCacheFileName(base));
  }
  ns::ModelBundle other;
  other.sourcePath = "/models/other";
  QVERIFY(ns::planCacheKey(other, "background", "on grass", "", 7, 64, 64, 30, 4.0) != base);
  QVERIFY(ns::planCacheFileName(base).rfind("background-", 0) == 0);
  QVERIFY(ns::planCacheFileName(others[0]).rfind("object-", 0) == 0);

  ns::Project p;
  QCOMPARE(ns::defaultPlanCacheDir(p), std::string());
  p.filePath = "/work/a.nsproj";
  QCOMPARE(ns::defaultPlanCacheDir(p), std::string("/work/a.nsproj.cache/plan"));
}

void TstModelPlanning::derivedBackgroundPromptDropsObjects() {
  ns::Project p = emptyPlan("a red ball on grass", 1);
  QCOMPARE(ns::plannedBackgroundPrompt(p), std::string("a red ball on grass"));  // empty plan: the whole prompt
  p.objects.push_back(generatedObject("ball", "a red ball", {0.1f, 0.1f, 0.4f, 0.4f}, p.frames));
  QCOMPARE(ns::plannedBackgroundPrompt(p), std::string("on grass"));
  p.prompt = "A pink star and a red ball, on the sea";
  p.objects.push_back(generatedObject("star", "a pink star", {0.5f, 0.1f, 0.8f, 0.4f}, p.frames));
  QCOMPARE(ns::plannedBackgroundPrompt(p), std::string("on the sea"));
  p.background.prompt = "  in the   desert ";
  QCOMPARE(ns::plannedBackgroundPrompt(p), std::string("in the desert"));
  // Seeds: unset follows the project; a re-roll sets its own; objects differ by id.
  QCOMPARE(ns::plannedBackgroundSeed(p), uint64_t(1));
  p.background.seed = 99;
  QCOMPARE(ns::plannedBackgroundSeed(p), uint64_t(99));
  QVERIFY(ns::plannedObjectSeed(p, p.objects[0]) != ns::plannedObjectSeed(p, p.objects[1]));
  p.objects[0].source.seed = 5;
  QCOMPARE(ns::plannedObjectSeed(p, p.objects[0]), uint64_t(5));
}

void TstModelPlanning::backdropCutOutFindsTheDisc() {
  c10::InferenceMode guard;
  // Red disc of radius 10 at (30, 26) on white: its box is [20,40]x[16,36] pixels of 64.
  const at::Tensor img = discPicture(64, 30.f, 26.f, 10.f, 0.f, {0.85f, 0.1f, 0.1f}, {0.97f, 0.97f, 0.95f});
  auto cut = ns::cutOutFromBackdrop(img);
  QVERIFY2(cut.ok(), cut.ok() ? "" : cut.error().message);
  const ns::NormBox& b = cut->box;
  // The cut-out's bounds are the disc's, to a pixel (the soft ring may add one).
  QVERIFY2(std::abs(b.x0 * 64 - 20) <= 1.01 && std::abs(b.x1 * 64 - 40) <= 1.01 && std::abs(b.y0 * 64 - 16) <= 1.01 &&
               std::abs(b.y1 * 64 - 36) <= 1.01,
           "box " + std::to_string(b.x0 * 64) + "," + std::to_string(b.y0 * 64) + " .. " + std::to_string(b.x1 * 64) + "," +
               std::to_string(b.y1 * 64));
  const at::Tensor alpha = cut->rgba[3];
  const double area = alpha.sum().item<double>();
  const double want = M_PI * 10 * 10;
  QVERIFY2(std::abs(area - want) < 0.08 * want, "alpha area " + std::to_string(area) + " vs disc " + std::to_string(want));
  // Soft edges: some edge pixels are partly covered; the crop's corners are transparent, its centre opaque.
  const int64_t partial = (alpha.gt(0.05) & alpha.lt(0.95)).sum().item<int64_t>();
  QVERIFY2(partial >= 8, "partly covered edge pixels: " + std::to_string(partial));
  QCOMPARE(alpha[0][0].item<float>(), 0.f);
  QCOMPARE(alpha[alpha.size(0) / 2][alpha.size(1) / 2].item<float>(), 1.f);
  // Opaque pixels are the disc's red, and the un-mixed edge carries no white halo.
  const at::Tensor rgb = cut->rgba.slice(0, 0, 3);
  const at::Tensor opaque = alpha.gt(0.5);
  QVERIFY(rgb[1].masked_select(alpha.gt(0.05)).max().item<float>() < 0.35f);
  QVERIFY(rgb[0].masked_select(opaque).min().item<float>() > 0.7f);
  QVERIFY(std::abs(cut->coverage - float(want / (64 * 64))) < 0.02f);
}

void TstModelPlanning::backdropCutOutKeepsARingsHoleAndRefusesBlankPictures() {
  c10::InferenceMode guard;
  const at::Tensor ring = discPicture(64, 32.f, 32.f, 16.f, 8.f, {0.1f, 0.2f, 0.9f}, {0.95f, 0.95f, 0.95f});
  auto cut = ns::cutOutFromBackdrop(ring);
  QVERIFY2(cut.ok(), cut.ok() ? "" : cut.error().message);
  const at::Tensor alpha = cut->rgba[3];
  QCOMPARE(alpha[alpha.size(0) / 2][alpha.size(1) / 2].item<float>(), 0.f);  // the hole is backdrop
  // A blank picture and one that is "all object" are refused with a message.
  auto blank = ns::cutOutFromBackdrop(at::full({3, 32, 32}, 0.8f));
  QVERIFY(!blank.ok());
  QVERIFY(blank.error().message.find("backdrop") != std::string::npos);
  auto tiny = ns::cutOutFromBackdrop(at::zeros({3, 4, 4}));
  QVERIFY(!tiny.ok());
}

void TstModelPlanning::cacheHitMissAndCorruptFile() {
  auto* model = sharedModel();
  if (!model) QSKIP("the shipped built-in model is not available");
  QTemporaryDir tmp;
  const std::string dir = tmp.path().toStdString() + "/plan";
  ns::Project p = emptyPlan("on grass", 3);
  ns::JobContext ctx;
  ns::ModelPlanOptions opt;
  opt.cacheDir = dir;
  int seen = 0;
  opt.onPart = [&seen](const ns::PlannedPart& part) {
    ++seen;
    QCOMPARE(part.what, std::string("background"));
  };

  ns::SketchInputs first;
  auto a = ns::planWithModel(*model, p, first, opt, ctx);
  QVERIFY2(a.ok(), a.ok() ? "" : a.error().message);
  QCOMPARE(a->generated, 1);
  QCOMPARE(a->cached, 0);
  QCOMPARE(seen, 1);
  QCOMPARE(filesIn(dir), 1);
  QCOMPARE(first.background.sizes().vec(), (std::vector<int64_t>{3, 64, 64}));

  // Same key: read back, bitwise the same pixels, nothing rendered.
  ns::SketchInputs second;
  auto b = ns::planWithModel(*model, p, second, opt, ctx);
  QVERIFY(b.ok());
  QCOMPARE(b->generated, 0);
  QCOMPARE(b->cached, 1);
  QVERIFY(at::equal(first.background, second.background));

  // A background already given is not planned again.
  auto c = ns::planWithModel(*model, p, second, opt, ctx);
  QVERIFY(c.ok());
  QCOMPARE(int(c->parts.size()), 0);

  // Another seed (the re-roll button) and another prompt are misses: new files, other pixels.
  ns::Project reroll = p;
  reroll.background.seed = 4;
  ns::SketchInputs third;
  auto d = ns::planWithModel(*model, reroll, third, opt, ctx);
  QVERIFY(d.ok());
  QCOMPARE(d->generated, 1);
  QCOMPARE(filesIn(dir), 2);
  QVERIFY(!at::equal(first.background, third.background));
  ns::Project sea = p;
  sea.prompt = "on the sea";
  ns::SketchInputs fourth;
  auto e = ns::planWithModel(*model, sea, fourth, opt, ctx);
  QVERIFY(e.ok());
  QCOMPARE(e->generated, 1);
  QCOMPARE(filesIn(dir), 3);

  // A corrupt cache file is a miss: planned again (same pixels as the first time) and rewritten.
  const std::string key = ns::planCacheKey(*model, "background", "on grass", "", 3, 64, 64, 10, p.render.cfg);
  const std::string file = dir + "/" + ns::planCacheFileName(key);
  QVERIFY2(fs::exists(file), file);
  { std::ofstream(file, std::ios::binary | std::ios::trunc) << "not a safetensors file"; }
  ns::SketchInputs fifth;
  auto f = ns::planWithModel(*model, p, fifth, opt, ctx);
  QVERIFY(f.ok());
  QCOMPARE(f->generated, 1);
  QVERIFY(at::equal(first.background, fifth.background));
  ns::SketchInputs sixth;
  auto g = ns::planWithModel(*model, p, sixth, opt, ctx);
  QVERIFY(g.ok());
  QCOMPARE(g->cached, 1);

  // No cache folder: planned every time, nothing written.
  ns::ModelPlanOptions noCache;
  ns::SketchInputs seventh;
  auto h = ns::planWithModel(*model, p, seventh, noCache, ctx);
  QVERIFY(h.ok());
  QCOMPARE(h->generated, 1);
  QVERIFY(at::equal(first.background, seventh.background));
}

void TstModelPlanning::emptyPlanBackgroundFollowsThePrompt() {
  auto* model = sharedModel();
  if (!model) QSKIP("the shipped built-in model is not available");
  auto* verifier = dynamic_cast<ns::ShapesVerifier*>(model->verifier.get());
  if (!verifier) QSKIP("the built-in model has no shapes verifier");
  // "a red ball on grass" with nothing drawn (issue 19's first try) and the other settings: the
  // render's background, as the verifier sees it, is the prompt's.
  const std::vector<std::string> bgs{"grass", "sea", "sky", "desert", "night", "snow", "room"};
  int right = 0, total = 0, rightWhite = 0;
  for (size_t i = 0; i < bgs.size(); ++i) {
    ns::SceneSpec spec;
    spec.background = bgs[i];
    spec.objects.push_back({"ball", "red", {}});
    ns::Project p = emptyPlan(ns::Vocabulary::caption(spec), 10 + i);
    ns::RenderProjectRequest req;
    req.project = p;
    ns::JobContext ctx;
    auto out = ns::renderProject(*model, req, ctx);
    QVERIFY2(out.ok(), out.ok() ? "" : out.error().message);
    QCOMPARE(int(out->planned.size()), 1);
    const int want = ns::Vocabulary::indexOf(ns::Vocabulary::backgrounds(), bgs[i]);
    const ns::ShapesPrediction pred = verifier->classify(out->framesTensor);
    right += int(pred.background.eq(want).sum().item<int64_t>());
    total += int(out->framesTensor.size(0));
    // The old default, a white sketch, for comparison.
    ns::Project white = p;
    white.background = ns::Background{};
    req.project = white;
    auto flat = ns::renderProject(*model, req, ctx);
    QVERIFY(flat.ok());
    rightWhite += int(verifier->classify(flat->framesTensor).background.eq(want).sum().item<int64_t>());
  }
  const double acc = double(right) / total, accWhite = double(rightWhite) / total;
  qInfo("background accuracy: model-planned %.3f, white sketch %.3f (%d frames)", acc, accWhite, total);
  QVERIFY2(acc >= 0.9, "model-planned background accuracy " + std::to_string(acc));
  QVERIFY2(acc > accWhite, "planned " + std::to_string(acc) + " vs white " + std::to_string(accWhite));
}

void TstModelPlanning::generatedObjectIsCutOutIntoItsBox() {
  auto* model = sharedModel();
  if (!model) QSKIP("the shipped built-in model is not available");
  ns::Project p = emptyPlan("on grass", 5);
  const ns::NormBox box{0.1f, 0.3f, 0.45f, 0.65f};
  p.objects.push_back(generatedObject("ball", "a red ball", box, p.frames));
  ns::SketchInputs inputs;
  ns::JobContext ctx;
  auto plan = ns::planWithModel(*model, p, inputs, ns::ModelPlanOptions{}, ctx);
  QVERIFY2(plan.ok(), plan.ok() ? "" : plan.error().message);
  QCOMPARE(int(plan->parts.size()), 2);  // background, then the object
  QCOMPARE(plan->parts[1].what, std::string("ball"));
  QVERIFY2(plan->parts[1].prompt.rfind("a red ball ", 0) == 0, plan->parts[1].prompt);
  QVERIFY(inputs.sprites.count("ball"));
  c10::InferenceMode guard;
  const at::Tensor rgba = inputs.sprites.at("ball").rgba();
  const at::Tensor alpha = rgba[3];
  // A ball fills about π/4 of its bounds; a cut-out that kept the backdrop would fill all of it.
  const double fill = alpha.mean().item<double>();
  QVERIFY2(fill > 0.45 && fill < 0.97, "sprite alpha fill " + std::to_string(fill));
  QVERIFY2((alpha.gt(0.02) & alpha.lt(0.98)).sum().item<int64_t>() > 0, "no soft edge");
  // The opaque pixels are red as the verifier's colour names see it.
  const at::Tensor opaque = alpha.gt(0.5);
  const float r = rgba[0].masked_select(opaque).mean().item<float>(), g = rgba[1].masked_select(opaque).mean().item<float>(),
              b = rgba[2].masked_select(opaque).mean().item<float>();
  QVERIFY2(ns::LayoutIouVerifier::classify(r, g, b) == "red",
           "mean colour " + std::to_string(r) + "," + std::to_string(g) + "," + std::to_string(b));
  // In the sketch, the object's pixels lie inside its box in every frame, and fill a good part of it.
  auto sketch = ns::renderProjectSketch(p, inputs);
  QVERIFY2(sketch.ok(), sketch.ok() ? "" : sketch.error().message);
  for (int f = 0; f < p.frames; ++f) {
    const ns::NormBox fb = p.objects[0].trajectory.poseAt(f).box;
    const at::Tensor mine = sketch->objectIndex[f].eq(0);
    const at::Tensor ys = at::arange(64).view({64, 1}).expand({64, 64}), xs = at::arange(64).view({1, 64}).expand({64, 64});
    const int64_t n = mine.sum().item<int64_t>();
    QVERIFY(n > 0);
    QVERIFY(xs.masked_select(mine).min().item<int64_t>() >= int64_t(std::floor(fb.x0 * 64)) - 1);
    QVERIFY(xs.masked_select(mine).max().item<int64_t>() <= int64_t(std::ceil(fb.x1 * 64)));
    QVERIFY(ys.masked_select(mine).min().item<int64_t>() >= int64_t(std::floor(fb.y0 * 64)) - 1);
    QVERIFY(ys.masked_select(mine).max().item<int64_t>() <= int64_t(std::ceil(fb.y1 * 64)));
    const double boxArea = fb.width() * 64 * fb.height() * 64;
    QVERIFY2(n > 0.4 * boxArea, "object pixels " + std::to_string(n) + " of box " + std::to_string(boxArea));
  }
}

NS_REGISTER_TEST(TstModelPlanning, cacheKeyNamesEveryInput, derivedBackgroundPromptDropsObjects, backdropCutOutFindsTheDisc,
                 backdropCutOutKeepsARingsHoleAndRefusesBlankPictures, cacheHitMissAndCorruptFile,
                 emptyPlanBackgroundFollowsThePrompt, generatedObjectIsCutOutIntoItsBox)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_model_planning.moc"
#endif
