// Tests core/plan/scene_generator.h (+ scene_grid.h, scene_palette.h): determinism and thread
// safety, size independence of the layout, caption/box consistency, colour fidelity of shaded
// objects, lighting, background character, uniform sampling of shapes/colours/backgrounds.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/model/vocabulary.h"
#include "core/plan/scene_generator.h"
#include "core/plan/scene_grid.h"
#include "core/plan/scene_palette.h"
#include "core/plan/scene_shape.h"

namespace {

std::string num(double v) { return std::to_string(v); }

ns::SceneGenerator makeGen(int size, int minObjects = 1, int maxObjects = 3) {
  ns::SceneOptions o;
  o.size = size;
  o.minObjects = minObjects;
  o.maxObjects = maxObjects;
  return ns::SceneGenerator(o);
}

// Mask of pixels at least `insetPx` pixels inside the object's silhouette (the same box ->
// native mapping the painter uses; SceneShape is the geometry under test elsewhere).
at::Tensor interiorMask(const ns::SceneObject& o, int size, float insetPx) {
  using ns::scene::SceneShape;
  const auto kind = SceneShape::fromName(o.shape);
  const auto nb = SceneShape::nativeBox(kind);
  const float sx = nb.width() / o.box.width(), sy = nb.height() / o.box.height();
  const float pixel = 0.5f * (sx + sy) / float(size);
  at::Tensor m = at::zeros({size, size}, at::kBool);
  auto a = m.accessor<bool, 2>();
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const float u = (x + 0.5f) / size, v = (y + 0.5f) / size;
      const float d = SceneShape::sdf(kind, nb.x0 + (u - o.box.x0) * sx, nb.y0 + (v - o.box.y0) * sy);
      a[y][x] = d < -insetPx * pixel;
    }
  }
  return m;
}

// Mean RGB in [0,1] of `image` [3,H,W] (in [-1,1]) over `mask`.
std::array<float, 3> meanRgb(const at::Tensor& image, const at::Tensor& mask) {
  std::array<float, 3> out{};
  const double n = mask.sum().item<double>();
  for (int c = 0; c < 3; ++c) {
    out[c] = float(((image[c] + 1) * 0.5).masked_select(mask).sum().item<double>() / std::max(1.0, n));
  }
  return out;
}

}  // namespace

class TstSceneGenerator : public QObject {
  Q_OBJECT
 private slots:
  void sameSeedSamePixelsDifferentSeedsDiffer();
  void generateIsThreadSafe();
  void renderReproducesGenerate();
  void imageShapeRangeAndDetail();
  void sizesShareTheLayout();
  void captionsAndBoxesMatchTheSpec();
  void objectColourDominatesItsInterior();
  void objectsAreShadedFromTheLight();
  void backgroundsHaveTheirCharacter();
  void samplingIsRoughlyUniform();
  void gridTilesGeneratedScenes();
};

void TstSceneGenerator::sameSeedSamePixelsDifferentSeedsDiffer() {
  const auto gen = makeGen(64);
  const auto other = makeGen(64);
  for (uint64_t seed : {0ull, 1ull, 42ull, 123456789ull, 0xffffffffffffull}) {
    const auto a = gen.generate(seed);
    const auto b = other.generate(seed);
    QVERIFY2(at::equal(a.image, b.image), "seed " + std::to_string(seed) + " differs between runs");
    QCOMPARE(a.caption, b.caption);
    const auto c = gen.generate(seed + 1);
    const double diff = (a.image - c.image).abs().mean().item<double>();
    QVERIFY2(diff > 0.05, "seeds " + std::to_string(seed) + " and +1 differ by only " + num(diff));
  }
}

void TstSceneGenerator::generateIsThreadSafe() {
  const auto gen = makeGen(64);
  const int kSeeds = 24;
  std::vector<at::Tensor> serial;
  for (int i = 0; i < kSeeds; ++i) serial.push_back(gen.generate(uint64_t(1000 + i)).image);
  std::vector<at::Tensor> parallel(kSeeds);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kSeeds; i += 4) parallel[size_t(i)] = gen.generate(uint64_t(1000 + i)).image;
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < kSeeds; ++i) {
    QVERIFY2(at::equal(serial[size_t(i)], parallel[size_t(i)]), "seed " + std::to_string(1000 + i) + " differs across threads");
  }
}

void TstSceneGenerator::renderReproducesGenerate() {
  const auto gen = makeGen(64);
  for (uint64_t seed : {3ull, 77ull, 901ull}) {
    const auto g = gen.generate(seed);
    const auto r = gen.render(g.spec, seed);
    QVERIFY2(at::equal(g.image, r.image), "render(spec, seed) != generate(seed) for seed " + std::to_string(seed));
    QCOMPARE(r.caption, g.caption);
  }
  // A hand-made spec: the ball really appears where the box says (its centre takes the colour).
  ns::SceneSpec spec;
  spec.background = "sky";
  spec.objects.push_back({"ball", "red", ns::NormBox{0.1f, 0.5f, 0.4f, 0.8f}});
  const auto r = gen.render(spec, 5);
  QCOMPARE(r.caption, std::string("a red ball in the sky"));
  const int cx = int(0.25f * 64), cy = int(0.65f * 64);
  const float red = r.image[0][cy][cx].item<float>(), blue = r.image[2][cy][cx].item<float>();
  QVERIFY2(red > 0.3f && blue < -0.5f, "ball centre r=" + num(red) + " b=" + num(blue));
}

void TstSceneGenerator::imageShapeRangeAndDetail() {
  for (int size : {64, 96}) {
    const auto gen = makeGen(size);
    const auto s = gen.generate(11);
    QCOMPARE(int(s.image.dim()), 3);
    QCOMPARE(int(s.image.size(0)), 3);
    QCOMPARE(int(s.image.size(1)), size);
    QCOMPARE(int(s.image.size(2)), size);
    QVERIFY(s.image.scalar_type() == at::kFloat);
    const double lo = s.image.min().item<double>(), hi = s.image.max().item<double>();
    QVERIFY2(lo >= -1.0 && hi <= 1.0, "range " + num(lo) + ".." + num(hi));
    const double sd = s.image.std().item<double>();
    QVERIFY2(sd > 0.15, "image std " + num(sd) + " (a flat image?)");
  }
}

void TstSceneGenerator::sizesShareTheLayout() {
  const auto g64 = makeGen(64);
  const auto g128 = makeGen(128);
  double worst = 0;
  for (uint64_t seed = 20; seed < 34; ++seed) {
    const auto a = g64.generate(seed);
    const auto b = g128.generate(seed);
    QCOMPARE(a.caption, b.caption);
    QCOMPARE(a.spec.objects.size(), b.spec.objects.size());
    for (size_t i = 0; i < a.spec.objects.size(); ++i) {
      const auto& p = a.spec.objects[i].box;
      const auto& q = b.spec.objects[i].box;
      QVERIFY2(p.x0 == q.x0 && p.y0 == q.y0 && p.x1 == q.x1 && p.y1 == q.y1, "box differs, seed " + std::to_string(seed));
    }
    // The 128 px image box-filtered to 64 px looks like the 64 px image.
    const at::Tensor down = at::avg_pool2d(b.image.unsqueeze(0), {2, 2}).squeeze(0);
    const double mad = (down - a.image).abs().mean().item<double>();
    worst = std::max(worst, mad);
    QVERIFY2(mad < 0.06, "seed " + std::to_string(seed) + " (" + a.caption + "): mean |down(128) - 64| = " + num(mad));
  }
  std::fprintf(stderr, "worst mean |down(128)-64| over 14 seeds: %.4f\n", worst);
}

void TstSceneGenerator::captionsAndBoxesMatchTheSpec() {
  const auto gen = makeGen(16);  // layout does not depend on size; small renders keep this fast
  std::map<size_t, int> counts;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    const auto s = gen.generate(seed);
    const std::string tag = "seed " + std::to_string(seed) + " '" + s.caption + "'";
    QVERIFY2(!s.spec.objects.empty() && s.spec.objects.size() <= 3, tag);
    counts[s.spec.objects.size()]++;
    QCOMPARE(s.caption, ns::Vocabulary::caption(s.spec));
    const ns::SceneSpec back = ns::Vocabulary::parse(s.caption);
    QVERIFY2(back.background == s.spec.background, tag);
    QCOMPARE(back.objects.size(), s.spec.objects.size());
    for (size_t i = 0; i < back.objects.size(); ++i) {
      const auto& o = s.spec.objects[i];
      QVERIFY2(back.objects[i].colour == o.colour && back.objects[i].shape == o.shape, tag);
      QVERIFY2(o.box.x0 >= 0 && o.box.y0 >= 0 && o.box.x1 <= 1 && o.box.y1 <= 1 && o.box.x0 < o.box.x1 &&
                   o.box.y0 < o.box.y1,
               tag + " box outside [0,1]");
      const float side = std::sqrt(o.box.width() * o.box.height());
      QVERIFY2(side >= 0.19f && side <= 0.62f, tag + " object side " + num(side));
      for (size_t j = 0; j < i; ++j) {
        const float v = ns::iou(o.box, s.spec.objects[j].box);
        QVERIFY2(v < 0.2f, tag + " IoU " + num(v));
      }
    }
  }
  // All counts 1..3 occur; crowded scenes may lose an object, but rarely.
  QVERIFY2(counts[1] > 80 && counts[2] > 80 && counts[3] > 80,
           "counts 1/2/3: " + std::to_string(counts[1]) + "/" + std::to_string(counts[2]) + "/" + std::to_string(counts[3]));
}

void TstSceneGenerator::objectColourDominatesItsInterior() {
  // Single objects of every shape: the mean colour of the object's interior is nearest (among
  // the named colours) to its own name, despite shading, highlights and texture.
  const auto gen = makeGen(64, 1, 1);
  int wrong = 0;
  std::string report;
  for (uint64_t seed = 0; seed < 150; ++seed) {
    const auto s = gen.generate(seed);
    const auto& o = s.spec.objects.at(0);
    const at::Tensor mask = interiorMask(o, 64, 1.0f);
    QVERIFY2(mask.sum().item<int64_t>() >= 12, "tiny interior for " + s.caption);
    const auto rgb = meanRgb(s.image, mask);
    const int got = ns::ScenePalette::nearest(rgb);
    if (ns::Vocabulary::colours()[size_t(got)] != o.colour) {
      ++wrong;
      report += " [" + s.caption + " -> " + ns::Vocabulary::colours()[size_t(got)] + " rgb " + num(rgb[0]) + "," +
                num(rgb[1]) + "," + num(rgb[2]) + "]";
    }
  }
  QVERIFY2(wrong == 0, std::to_string(wrong) + "/150 objects read as another colour:" + report);
  // Multi-object scenes: each ball's/box's interior (minus later objects' boxes) keeps its colour.
  const auto multi = makeGen(64);
  int checked = 0;
  for (uint64_t seed = 500; seed < 620; ++seed) {
    const auto s = multi.generate(seed);
    for (size_t i = 0; i < s.spec.objects.size(); ++i) {
      at::Tensor mask = interiorMask(s.spec.objects[i], 64, 1.0f);
      for (size_t j = i + 1; j < s.spec.objects.size(); ++j) mask &= ~interiorMask(s.spec.objects[j], 64, -2.0f);
      if (mask.sum().item<int64_t>() < 12) continue;
      const int got = ns::ScenePalette::nearest(meanRgb(s.image, mask));
      QVERIFY2(ns::Vocabulary::colours()[size_t(got)] == s.spec.objects[i].colour,
               "seed " + std::to_string(seed) + " '" + s.caption + "' object " + std::to_string(i) + " reads as " +
                   ns::Vocabulary::colours()[size_t(got)]);
      ++checked;
    }
  }
  QVERIFY2(checked > 150, "checked only " + std::to_string(checked) + " objects");
}

void TstSceneGenerator::objectsAreShadedFromTheLight() {
  // A big white ball: the upper-left of its disc (towards the light) is brighter than the
  // lower-right, there is a bright highlight, and the edge is anti-aliased (in-between pixels).
  const auto gen = makeGen(64);
  ns::SceneSpec spec;
  spec.background = "night";
  spec.objects.push_back({"ball", "white", ns::NormBox{0.2f, 0.2f, 0.8f, 0.8f}});
  for (uint64_t seed : {1ull, 2ull, 3ull}) {
    const at::Tensor img = (gen.render(spec, seed).image + 1) * 0.5;
    const at::Tensor lum = img.mean(0);
    const double ul = lum.slice(0, 22, 30).slice(1, 22, 30).mean().item<double>();
    const double lr = lum.slice(0, 34, 42).slice(1, 34, 42).mean().item<double>();
    QVERIFY2(ul > lr + 0.08, "seed " + std::to_string(seed) + ": lit side " + num(ul) + " vs shadow side " + num(lr));
    const double peak = lum.slice(0, 13, 51).slice(1, 13, 51).max().item<double>();
    QVERIFY2(peak > 0.97, "highlight peak " + num(peak));
    // Along the row through the centre, the left edge of the disc (x=0.2 -> pixel 12.8) has a
    // pixel between the dark sky and the ball.
    const double edge = lum[32][12].item<double>(), sky = lum[32][8].item<double>(), in = lum[32][16].item<double>();
    QVERIFY2(edge > sky + 0.05 && edge < in - 0.05, "edge " + num(edge) + " sky " + num(sky) + " inside " + num(in));
  }
}

void TstSceneGenerator::backgroundsHaveTheirCharacter() {
  const auto gen = makeGen(64);
  std::map<std::string, std::array<double, 3>> top, bottom;
  std::map<std::string, double> texture;
  for (const auto& bg : ns::Vocabulary::backgrounds()) {
    ns::SceneSpec spec;
    spec.background = bg;
    std::array<double, 3> t{}, b{};
    double tex = 0;
    for (uint64_t seed = 0; seed < 4; ++seed) {
      const at::Tensor img = (gen.render(spec, seed).image + 1) * 0.5;
      for (int c = 0; c < 3; ++c) {
        t[size_t(c)] += img[c].slice(0, 0, 10).mean().item<double>() / 4;
        b[size_t(c)] += img[c].slice(0, 54, 64).mean().item<double>() / 4;
      }
      // Texture: spread of the bottom band around its row means (a vertical gradient alone,
      // however steep, scores 0).
      const at::Tensor band = img.slice(1, 48, 64);
      tex += (band - band.mean(2, true)).std().item<double>() / 4;
    }
    top[bg] = t;
    bottom[bg] = b;
    texture[bg] = tex;
  }
  auto rgb = [](const std::array<double, 3>& c) { return num(c[0]) + "," + num(c[1]) + "," + num(c[2]); };
  // Daytime skies are blue at the top.
  for (const char* bg : {"sky", "grass", "sea"}) {
    QVERIFY2(top[bg][2] > top[bg][0] + 0.2, std::string(bg) + " top " + rgb(top[bg]));
  }
  QVERIFY2(bottom["grass"][1] > bottom["grass"][0] + 0.1 && bottom["grass"][1] > bottom["grass"][2] + 0.1,
           "grass bottom " + rgb(bottom["grass"]));
  QVERIFY2(bottom["sea"][2] > bottom["sea"][0] + 0.2, "sea bottom " + rgb(bottom["sea"]));
  QVERIFY2(bottom["desert"][0] > bottom["desert"][1] && bottom["desert"][1] > bottom["desert"][2] + 0.1,
           "desert bottom " + rgb(bottom["desert"]));
  const auto lum = [](const std::array<double, 3>& c) { return (c[0] + c[1] + c[2]) / 3; };
  QVERIFY2(lum(top["night"]) < 0.15 && lum(bottom["night"]) < 0.15, "night " + rgb(top["night"]) + " / " + rgb(bottom["night"]));
  QVERIFY2(lum(bottom["snow"]) > 0.8, "snow bottom " + rgb(bottom["snow"]));
  // Room: wall (top) and floor (bottom) clearly different.
  const double wallFloor = std::fabs(lum(top["room"]) - lum(bottom["room"]));
  QVERIFY2(wallFloor > 0.15, "room wall " + rgb(top["room"]) + " floor " + rgb(bottom["room"]));
  for (const auto& t : texture) std::fprintf(stderr, "ground texture %-7s %.4f\n", t.first.c_str(), t.second);
  // Grounds are textured, not flat fills.
  for (const char* bg : {"grass", "sea", "desert", "room", "snow"}) {
    QVERIFY2(texture[bg] > 0.012, std::string(bg) + " ground texture " + num(texture[bg]));
  }
}

void TstSceneGenerator::samplingIsRoughlyUniform() {
  const auto gen = makeGen(8);  // tiny renders: only the spec matters here
  std::map<std::string, int> shapes, colours, backgrounds;
  int objects = 0;
  const int kScenes = 2000;
  for (uint64_t seed = 0; seed < kScenes; ++seed) {
    const auto s = gen.generate(seed * 7919 + 13);
    backgrounds[s.spec.background]++;
    for (const auto& o : s.spec.objects) {
      shapes[o.shape]++;
      colours[o.colour]++;
      ++objects;
    }
  }
  auto check = [](const std::vector<std::string>& names, std::map<std::string, int>& counts, int total,
                  const char* what) {
    const double expected = double(total) / double(names.size());
    std::string all;
    for (const auto& n : names) all += " " + n + "=" + std::to_string(counts[n]);
    for (const auto& n : names) {
      QVERIFY2(counts[n] > 0.75 * expected && counts[n] < 1.25 * expected,
               std::string(what) + " not uniform (expected ~" + num(expected) + "):" + all);
    }
    QVERIFY2(int(counts.size()) == int(names.size()), std::string(what) + " has names outside the vocabulary:" + all);
  };
  check(ns::Vocabulary::backgrounds(), backgrounds, kScenes, "backgrounds");
  check(ns::Vocabulary::shapes(), shapes, objects, "shapes");
  check(ns::Vocabulary::colours(), colours, objects, "colours");
}

void TstSceneGenerator::gridTilesGeneratedScenes() {
  const auto gen = makeGen(32);
  const at::Tensor grid = ns::makeSceneGrid(gen, 100, 2, 3);
  QCOMPARE(int(grid.size(0)), 3);
  QCOMPARE(int(grid.size(1)), 2 * 32 + 3 * 2);
  QCOMPARE(int(grid.size(2)), 3 * 32 + 4 * 2);
  for (int r = 0; r < 2; ++r) {
    for (int c = 0; c < 3; ++c) {
      const at::Tensor cell = grid.narrow(1, 2 + r * 34, 32).narrow(2, 2 + c * 34, 32);
      QVERIFY2(at::equal(cell, gen.generate(uint64_t(100 + r * 3 + c)).image),
               "cell " + std::to_string(r) + "," + std::to_string(c));
    }
  }
}

NS_REGISTER_TEST(TstSceneGenerator, sameSeedSamePixelsDifferentSeedsDiffer, generateIsThreadSafe,
                 renderReproducesGenerate, imageShapeRangeAndDetail, sizesShareTheLayout,
                 captionsAndBoxesMatchTheSpec, objectColourDominatesItsInterior, objectsAreShadedFromTheLight,
                 backgroundsHaveTheirCharacter, samplingIsRoughlyUniform, gridTilesGeneratedScenes)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_scene_generator.moc"
#endif
