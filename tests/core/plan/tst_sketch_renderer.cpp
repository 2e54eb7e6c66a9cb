// Tests core/plan/sketch_renderer.h and sprite.h: object centroids and tight boxes follow the
// trajectory, the flat sketch look, the exactness of the analytic flow (bilinear check on an
// affine-textured sprite; forward splat of flat shapes), occlusion, backgrounds, input errors,
// and the shipped example projects.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/model/vocabulary.h"
#include "core/plan/project.h"
#include "core/plan/scene_palette.h"
#include "core/plan/sketch_renderer.h"

namespace {

ns::Keyframe key(int frame, double cx, double cy, double w, double h, double rot = 0) {
  ns::Keyframe k;
  k.frame = frame;
  k.box = ns::NormBox{float(cx - w / 2), float(cy - h / 2), float(cx + w / 2), float(cy + h / 2)};
  k.rotationDeg = rot;
  return k;
}

ns::ProjectObject shapeObject(const std::string& id, const std::string& shape, const std::string& colour, int z) {
  ns::ProjectObject o;
  o.id = id;
  o.source.kind = ns::SourceKind::BuiltinShape;
  o.source.shape = shape;
  o.source.colour = colour;
  o.z = z;
  return o;
}

ns::Project baseProject(int size, int frames) {
  ns::Project p;
  p.width = size;
  p.height = size;
  p.frames = frames;
  p.prompt = "on grass";
  p.background.kind = ns::BackgroundKind::Colour;
  p.background.colour = ns::Rgb8{40, 140, 60};
  return p;
}

std::string fmt(const char* f, double a, double b = 0, double c = 0, double d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), f, a, b, c, d);
  return buf;
}

// Mask of object `o` in frame f (from objectIndex).
std::vector<char> maskOf(const ns::Sketch& s, int f, int o) {
  at::Tensor m = s.objectIndex[f].eq(o).to(at::kChar).contiguous();
  const char* p = m.data_ptr<int8_t>() ? reinterpret_cast<const char*>(m.data_ptr<int8_t>()) : nullptr;
  return std::vector<char>(p, p + m.numel());
}

// Pixels whose whole (2r+1)^2 neighbourhood is in the mask.
std::vector<char> erode(const std::vector<char>& m, int W, int H, int r) {
  std::vector<char> out(m.size(), 0);
  for (int y = r; y < H - r; ++y)
    for (int x = r; x < W - r; ++x) {
      bool all = true;
      for (int dy = -r; dy <= r && all; ++dy)
        for (int dx = -r; dx <= r && all; ++dx) all = m[size_t((y + dy) * W + x + dx)] != 0;
      out[size_t(y * W + x)] = all;
    }
  return out;
}

// Bilinear sample of channel ch of frame [3,H,W] (contiguous float) at continuous point (px,py),
// pixel centres at +0.5.
float bilinear(const float* img, int W, int H, int ch, double px, double py) {
  const double sx = px - 0.5, sy = py - 0.5;
  const int x0 = int(std::floor(sx)), y0 = int(std::floor(sy));
  const double ax = sx - x0, ay = sy - y0;
  auto at = [&](int x, int y) { return img[size_t(ch) * W * H + size_t(std::clamp(y, 0, H - 1)) * W + std::clamp(x, 0, W - 1)]; };
  return float((1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x0 + 1, y0)) + ay * ((1 - ax) * at(x0, y0 + 1) + ax * at(x0 + 1, y0 + 1)));
}

ns::Sprite affineSprite(int w, int h) {
  // R = 0.1 + 0.8 x/w, G = 0.1 + 0.8 y/h, B = 0.5 + 0.2 (x/w - y/h): affine in sprite pixels, so
  // any bilinear resampling of it is exact away from the border.
  at::Tensor xs = (at::arange(w, at::kFloat) + 0.5) / w;
  at::Tensor ys = (at::arange(h, at::kFloat) + 0.5) / h;
  at::Tensor X = xs.view({1, w}).expand({h, w}), Y = ys.view({h, 1}).expand({h, w});
  at::Tensor rgba = at::stack({0.1 + 0.8 * X, 0.1 + 0.8 * Y, 0.5 + 0.2 * (X - Y), at::ones({h, w})}, 0);
  return ns::Sprite::fromRgba(rgba).value();
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace

class TstSketchRenderer : public QObject {
  Q_OBJECT
 private slots:
  void centroidFollowsBoxCentre();
  void tightBoxForEveryShape();
  void flatSketchLook();
  void flowExactOnTexturedSprite();
  void forwardSplatAndOcclusion();
  void backgrounds();
  void inputErrorsNameTheField();
  void examplesLoadAndRender();
};

void TstSketchRenderer::centroidFollowsBoxCentre() {
  ns::Project p = baseProject(64, 12);
  ns::ProjectObject ball = shapeObject("ball", "ball", "red", 0);
  ball.trajectory.setInterpolation(ns::Interpolation::CatmullRom);
  ball.trajectory.setKey(key(0, 0.2, 0.25, 0.2, 0.16, 0));
  ball.trajectory.setKey(key(6, 0.5, 0.2, 0.26, 0.2, 90));
  ball.trajectory.setKey(key(11, 0.8, 0.3, 0.18, 0.18, 200));
  ns::ProjectObject ring = shapeObject("ring", "ring", "yellow", 1);
  ring.trajectory.setKey(key(0, 0.25, 0.75, 0.25, 0.25, 0));
  ring.trajectory.setKey(key(11, 0.75, 0.7, 0.3, 0.2, 45));
  ns::ProjectObject box = shapeObject("box", "box", "blue", 2);  // the cube silhouette is point-symmetric
  box.trajectory.setKey(key(0, 0.8, 0.55, 0.2, 0.2, 0));
  box.trajectory.setKey(key(11, 0.6, 0.5, 0.15, 0.25, -60));
  ns::ProjectObject disc;  // a symmetric RGBA sprite: soft-edged disc
  disc.id = "disc";
  disc.source.kind = ns::SourceKind::ImageWithAlpha;
  disc.source.path = "disc.png";
  disc.z = 3;
  disc.trajectory.setKey(key(0, 0.15, 0.5, 0.14, 0.14, 0));
  disc.trajectory.setKey(key(11, 0.4, 0.45, 0.2, 0.14, 30));
  p.objects = {ball, ring, box, disc};
  ns::SketchInputs in;
  {
    at::Tensor c = (at::arange(20, at::kFloat) + 0.5) / 10 - 1;
    at::Tensor r2 = c.view({20, 1}).pow(2) + c.view({1, 20}).pow(2);
    at::Tensor a = (1.0 - r2).clamp(0, 1).sqrt();
    in.sprites["disc"] = ns::Sprite::fromRgba(at::stack({a * 0 + 0.9, a * 0 + 0.2, a * 0 + 0.7, a}, 0)).value();
  }
  auto r = ns::SketchRenderer().render(p, in);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  const ns::Sketch& s = r.value();
  QCOMPARE(s.frames.size(0), int64_t(12));
  double worst = 0;
  std::string worstWhere;
  for (int f = 0; f < 12; ++f)
    for (int o = 0; o < 4; ++o) {
      const std::vector<char> m = maskOf(s, f, o);
      double sx = 0, sy = 0, n = 0;
      for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 64; ++x)
          if (m[size_t(y * 64 + x)]) {
            sx += x + 0.5;
            sy += y + 0.5;
            n += 1;
          }
      QVERIFY2(n > 20, fmt("object %g frame %g has only %g pixels", o, f, n));
      const ns::NormBox b = s.poses[size_t(f)][size_t(o)].box;
      const double d = std::hypot(sx / n - b.cx() * 64, sy / n - b.cy() * 64);
      if (d > worst) {
        worst = d;
        worstWhere = fmt("object %g frame %g: centroid (%.2f, ", o, f, sx / n) + fmt("%.2f) vs box centre (%.2f, %.2f)", sy / n, b.cx() * 64, b.cy() * 64);
      }
    }
  QVERIFY2(worst <= 1.0, fmt("worst centroid offset %.3f px; ", worst) + worstWhere);
  std::fprintf(stderr, "centroid: worst offset %.3f px over 12 frames x 4 objects\n", worst);
}

void TstSketchRenderer::tightBoxForEveryShape() {
  for (const std::string& shape : ns::Vocabulary::shapes()) {
    ns::Project p = baseProject(64, 1);
    ns::ProjectObject o = shapeObject("o", shape, "orange", 0);
    o.trajectory.setKey(key(0, 0.5, 0.5, 0.5, 0.375));  // 32 x 24 px, from (16,20) to (48,44)
    p.objects = {o};
    auto r = ns::SketchRenderer().render(p);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
    const std::vector<char> m = maskOf(r.value(), 0, 0);
    int x0 = 64, y0 = 64, x1 = -1, y1 = -1;
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x)
        if (m[size_t(y * 64 + x)]) {
          x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x + 1), y1 = std::max(y1, y + 1);
        }
    const bool ok = std::abs(x0 - 16) <= 1 && std::abs(x1 - 48) <= 1 && std::abs(y0 - 20) <= 1 && std::abs(y1 - 44) <= 1;
    QVERIFY2(ok, shape + fmt(": mask spans x %g..%g, y %g..%g; box is 16..48, 20..44", x0, x1, y0, y1));
  }
}

void TstSketchRenderer::flatSketchLook() {
  ns::Project p = baseProject(64, 1);
  ns::ProjectObject o = shapeObject("ball", "ball", "red", 0);
  o.trajectory.setKey(key(0, 0.5, 0.5, 0.5, 0.5));
  p.objects = {o};
  auto r = ns::SketchRenderer().render(p);
  QVERIFY(r.ok());
  at::Tensor img = r.value().frames[0];
  std::array<float, 3> red{};
  QVERIFY(ns::ScenePalette::rgb("red", red));
  // Centre: exactly the palette colour (flat, unshaded), in [-1,1].
  double worst = 0;
  for (int y = 24; y < 40; ++y)
    for (int x = 24; x < 40; ++x)
      for (int c = 0; c < 3; ++c) worst = std::max(worst, std::fabs(img[c][y][x].item<double>() - (2 * red[size_t(c)] - 1)));
  QVERIFY2(worst < 1e-6, fmt("interior differs from flat red by %g", worst));
  // Outline: the pixel just inside the left edge (x=16, circle edge at x=16) is darker than the fill.
  const double edgeR = img[0][32][16].item<double>(), fillR = img[0][32][32].item<double>();
  QVERIFY2(edgeR < fillR - 0.2, fmt("outline red %.3f vs fill %.3f", edgeR, fillR));
  // Background untouched in the corner.
  QVERIFY2(std::fabs(img[1][1][1].item<double>() - (2 * 140 / 255.0 - 1)) < 1e-6, "background corner");
  // Values stay in [-1,1].
  QVERIFY(r.value().frames.min().item<float>() >= -1.f && r.value().frames.max().item<float>() <= 1.f);
}

void TstSketchRenderer::flowExactOnTexturedSprite() {
  // Translation + rotation + non-uniform scaling: every part of the affine motion.
  const int S = 96, F = 6;
  ns::Project p = baseProject(S, F);
  ns::ProjectObject o;
  o.id = "tex";
  o.source.kind = ns::SourceKind::ImageWithAlpha;
  o.source.path = "tex.png";
  o.trajectory.setInterpolation(ns::Interpolation::CatmullRom);
  o.trajectory.setKey(key(0, 0.35, 0.4, 0.3, 0.25, 0));
  o.trajectory.setKey(key(3, 0.5, 0.55, 0.36, 0.3, 35));
  o.trajectory.setKey(key(5, 0.62, 0.5, 0.28, 0.34, 80));
  p.objects = {o};
  ns::SketchInputs in;
  in.sprites["tex"] = affineSprite(40, 32);
  auto r = ns::SketchRenderer().render(p, in);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  const ns::Sketch& s = r.value();
  QCOMPARE(s.flow.size(0), int64_t(F - 1));
  at::Tensor frames = s.frames.contiguous(), flow = s.flow.contiguous();
  // Tolerance: with an affine texture, frame k+1 is affine in pixel position inside the object,
  // so bilinear lookup at p + flow reproduces frame k's value up to float32 rounding (~1e-6).
  // 1e-4 is ~40x below one 8-bit level in [-1,1] (2/255) and far below what a 0.1 px flow error
  // gives (the texture changes by ~0.02 per pixel).
  const double tol = 1e-4;
  long eligible = 0, within = 0, objectPixels = 0;
  double worst = 0, worstShifted = 0;
  for (int k = 0; k + 1 < F; ++k) {
    const std::vector<char> now = maskOf(s, k, 0);
    const std::vector<char> inner = erode(maskOf(s, k + 1, 0), S, S, 2);
    const float* cur = frames[k].data_ptr<float>();
    const float* nxt = frames[k + 1].data_ptr<float>();
    const float* fl = flow[k].data_ptr<float>();
    for (int y = 0; y < S; ++y)
      for (int x = 0; x < S; ++x) {
        const size_t i = size_t(y * S + x);
        if (!now[i]) continue;
        ++objectPixels;
        const double px = x + 0.5 + fl[i], py = y + 0.5 + fl[size_t(S * S) + i];
        const int qx = int(std::floor(px)), qy = int(std::floor(py));
        if (qx < 0 || qy < 0 || qx >= S || qy >= S || !inner[size_t(qy * S + qx)]) continue;
        ++eligible;
        double err = 0, errShifted = 0;
        for (int c = 0; c < 3; ++c) {
          err = std::max(err, double(std::fabs(bilinear(nxt, S, S, c, px, py) - cur[size_t(c) * S * S + i])));
          errShifted = std::max(errShifted, double(std::fabs(bilinear(nxt, S, S, c, px + 0.3, py) - cur[size_t(c) * S * S + i])));
        }
        worst = std::max(worst, err);
        worstShifted = std::max(worstShifted, errShifted);
        within += err <= tol;
      }
  }
  const double frac = double(within) / std::max(1L, eligible);
  std::fprintf(stderr, "flow (textured sprite): %ld of %ld object pixels checked, %.4f%% within %g, worst %.2e; "
                       "flow shifted by 0.3 px: worst %.3f\n",
               eligible, objectPixels, 100 * frac, tol, worst, worstShifted);
  QVERIFY2(eligible > 0.6 * objectPixels, fmt("only %g of %g object pixels land inside the object", eligible, objectPixels));
  QVERIFY2(frac >= 0.99, fmt("%.4f of pixels within tolerance, worst %.3g", frac, worst));
  QVERIFY2(worstShifted > 20 * tol, fmt("a 0.3 px flow error is not detected (worst %.3g)", worstShifted));
  // A lone object that stays on the canvas is never occluded (only the background it moves over is).
  const float objectOcclusion = (s.occlusion.squeeze(1) * s.objectIndex.slice(0, 0, F - 1).ge(0)).sum().item<float>();
  QVERIFY2(objectOcclusion == 0.f, fmt("%g object pixels marked occluded", objectOcclusion));
  QVERIFY2(s.occlusion.sum().item<float>() > 0.f, "the background the object moves onto is occluded");
}

void TstSketchRenderer::forwardSplatAndOcclusion() {
  // A star crosses in front of a box; a ball leaves the canvas on the right.
  const int S = 64, F = 8;
  ns::Project p = baseProject(S, F);
  ns::ProjectObject box = shapeObject("box", "box", "blue", 0);
  box.trajectory.setKey(key(0, 0.3, 0.5, 0.3, 0.3, 0));
  box.trajectory.setKey(key(7, 0.55, 0.5, 0.3, 0.3, 20));
  ns::ProjectObject star = shapeObject("star", "star", "yellow", 1);
  star.trajectory.setKey(key(0, 0.8, 0.45, 0.28, 0.28, 0));
  star.trajectory.setKey(key(7, 0.2, 0.55, 0.22, 0.22, -90));
  ns::ProjectObject ball = shapeObject("ball", "ball", "red", 2);
  ball.trajectory.setKey(key(0, 0.7, 0.15, 0.2, 0.2));
  ball.trajectory.setKey(key(7, 1.1, 0.15, 0.2, 0.2));
  p.objects = {box, star, ball};
  auto r = ns::SketchRenderer().render(p);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  const ns::Sketch& s = r.value();
  at::Tensor frames = s.frames.contiguous(), flow = s.flow.contiguous(), occ = s.occlusion.contiguous();
  const int64_t* idx = s.objectIndex.contiguous().data_ptr<int64_t>();
  const size_t plane = size_t(S) * S;
  // Interior fill pixels: a 3-pixel erosion of the mask keeps pixels >= ~2.3 px inside the edge;
  // the outline + anti-aliasing band is 1.5 px deep and the nearest-pixel splat moves a point by
  // <= 0.71 px, so the destination is still pure fill. Those must land on the same object with
  // the same colour: 1/255 tolerance = one 8-bit level, though flat fills should match exactly.
  const double tol = 1.0 / 255.0;
  long splatted = 0, landed = 0, cleanLanded = 0, sameColour = 0, occludedObject = 0, occludedLanding = 0, leaving = 0, leavingMarked = 0;
  long bgChecked = 0, bgCorrect = 0;
  for (int k = 0; k + 1 < F; ++k) {
    const float* cur = frames[k].data_ptr<float>();
    const float* nxt = frames[k + 1].data_ptr<float>();
    const float* fl = flow[k].data_ptr<float>();
    const float* oc = occ[k].data_ptr<float>();
    const int64_t* idxNow = idx + size_t(k) * plane;
    const int64_t* idxNext = idx + size_t(k + 1) * plane;
    for (int o = 0; o < 3; ++o) {
      const std::vector<char> inner = erode(maskOf(s, k, o), S, S, 3);
      for (size_t i = 0; i < plane; ++i) {
        if (idxNow[i] != o) continue;
        const int x = int(i % S), y = int(i / S);
        const double px = x + 0.5 + fl[i], py = y + 0.5 + fl[plane + i];
        const bool outside = px < 0 || py < 0 || px >= S || py >= S;
        if (outside) {
          ++leaving;
          leavingMarked += oc[i] == 1.f;
          continue;
        }
        const size_t j = size_t(int(std::floor(py)) * S + int(std::floor(px)));
        if (oc[i] == 1.f) {
          // Occlusion is decided at the exact point p + flow; the pixel holding that point must
          // show (or touch, within one pixel) an object in front of o.
          ++occludedObject;
          bool front = false;
          for (int dy = -1; dy <= 1 && !front; ++dy)
            for (int dx = -1; dx <= 1 && !front; ++dx) {
              const int qx = int(std::floor(px)) + dx, qy = int(std::floor(py)) + dy;
              if (qx < 0 || qy < 0 || qx >= S || qy >= S) continue;
              const int64_t q = idxNext[size_t(qy * S + qx)];
              front = q >= 0 && p.objects[size_t(q)].z > p.objects[size_t(o)].z;
            }
          occludedLanding += front;
          continue;
        }
        if (!inner[i]) continue;
        ++splatted;
        if (idxNext[j] != o) continue;
        ++landed;
        // Skip destinations touching another object: its anti-aliased edge may tint the pixel
        // without covering it (alpha < 0.5), which is not a flow error.
        bool clean = true;
        for (int dy = -1; dy <= 1 && clean; ++dy)
          for (int dx = -1; dx <= 1 && clean; ++dx) {
            const int qx = int(j % S) + dx, qy = int(j / S) + dy;
            clean = qx >= 0 && qy >= 0 && qx < S && qy < S && idxNext[size_t(qy * S + qx)] == o;
          }
        if (!clean) continue;
        ++cleanLanded;
        double err = 0;
        for (int c = 0; c < 3; ++c) err = std::max(err, double(std::fabs(cur[c * plane + i] - nxt[c * plane + j])));
        sameColour += err <= tol;
      }
    }
    for (size_t i = 0; i < plane; ++i) {
      if (idxNow[i] >= 0) continue;
      ++bgChecked;
      bgCorrect += (oc[i] == 1.f) == (idxNext[i] >= 0) && fl[i] == 0.f && fl[plane + i] == 0.f;
    }
  }
  std::fprintf(stderr, "splat: %ld interior pixels, %ld landed on the same object, %ld away from other objects, %ld same colour; "
                       "%ld occluded object pixels (%ld next to a front object); %ld leave the canvas (%ld marked)\n",
               splatted, landed, cleanLanded, sameColour, occludedObject, occludedLanding, leaving, leavingMarked);
  QVERIFY2(splatted > 500, fmt("only %g pixels splatted", splatted));
  QVERIFY2(landed >= 0.99 * splatted, fmt("%g of %g interior pixels land on their object", landed, splatted));
  QVERIFY2(cleanLanded >= 0.8 * landed, fmt("only %g of %g landings are away from other objects", cleanLanded, landed));
  QVERIFY2(sameColour >= 0.99 * cleanLanded, fmt("%g of %g interior pixels keep their colour", sameColour, cleanLanded));
  QVERIFY2(occludedObject > 20, fmt("the star should hide part of the box (%g occluded pixels)", occludedObject));
  QVERIFY2(occludedLanding >= 0.99 * occludedObject, fmt("only %g of %g occluded pixels move behind a front object", occludedLanding, occludedObject));
  QVERIFY2(leaving > 20 && leavingMarked == leaving, fmt("%g pixels leave the canvas, %g marked occluded", leaving, leavingMarked));
  QVERIFY2(bgCorrect == bgChecked, fmt("background flow/occlusion wrong at %g of %g pixels", bgChecked - bgCorrect, bgChecked));
}

void TstSketchRenderer::backgrounds() {
  ns::Project p = baseProject(32, 3);
  p.background.kind = ns::BackgroundKind::Gradient;
  p.background.colour = ns::Rgb8{0, 0, 0};
  p.background.colour2 = ns::Rgb8{255, 255, 255};
  p.background.direction = ns::GradientDirection::Vertical;
  auto g = ns::SketchRenderer().render(p);
  QVERIFY(g.ok());
  // Row y has value (y + 0.5)/32 in [0,1] -> 2v - 1.
  const double top = g.value().frames[0][0][0][5].item<double>(), bottom = g.value().frames[2][1][31][7].item<double>();
  QVERIFY2(std::fabs(top - (2 * 0.5 / 32 - 1)) < 1e-5 && std::fabs(bottom - (2 * 31.5 / 32 - 1)) < 1e-5, fmt("top %g bottom %g", top, bottom));
  // Provided image background of another size: resized (area) to the canvas.
  p.background.kind = ns::BackgroundKind::ImageFile;
  p.background.path = "sky.png";
  ns::SketchInputs in;
  in.background = at::full({3, 64, 64}, 0.5);
  in.background[2].fill_(-0.25);
  auto im = ns::SketchRenderer().render(p, in);
  QVERIFY2(im.ok(), im.ok() ? "" : im.error().message);
  QCOMPARE(im.value().frames.size(3), int64_t(32));
  QVERIFY2(std::fabs(im.value().frames[1][2][10][10].item<double>() + 0.25) < 1e-5, "resized still background");
  // Video background: frame k uses video frame min(k, F'-1).
  p.background.kind = ns::BackgroundKind::VideoFile;
  in.background = at::stack({at::full({3, 32, 32}, -0.5), at::full({3, 32, 32}, 0.5)}, 0);
  auto vid = ns::SketchRenderer().render(p, in);
  QVERIFY(vid.ok());
  const double v0 = vid.value().frames[0][0][3][3].item<double>(), v2 = vid.value().frames[2][0][3][3].item<double>();
  QVERIFY2(std::fabs(v0 + 0.5) < 1e-6 && std::fabs(v2 - 0.5) < 1e-6, fmt("video frames %g %g", v0, v2));
}

void TstSketchRenderer::inputErrorsNameTheField() {
  ns::Project p = baseProject(32, 4);
  p.background.kind = ns::BackgroundKind::ImageFile;
  p.background.path = "sky.png";
  auto r = ns::SketchRenderer().render(p);
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "background.path: \"sky.png\" must be loaded by the caller"), r.error().message);
  p.background.kind = ns::BackgroundKind::Colour;
  ns::ProjectObject cat;
  cat.id = "cat";
  cat.source.kind = ns::SourceKind::CutOut;
  cat.source.path = "cat.png";
  cat.source.sourceBox = ns::NormBox{0, 0, 1, 1};
  cat.trajectory.setKey(key(0, 0.5, 0.5, 0.3, 0.3));
  p.objects = {shapeObject("b", "ball", "red", 0), cat};
  p.objects[0].trajectory.setKey(key(0, 0.5, 0.5, 0.3, 0.3));
  r = ns::SketchRenderer().render(p);
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "objects[1].source.path: the image \"cat.png\" has not been loaded"), r.error().message);
  // An invalid project is refused with the validator's message.
  p.objects[1].trajectory.setKey(key(9, 0.5, 0.5, 0.3, 0.3));
  r = ns::SketchRenderer().render(p);
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "objects[1].trajectory.keyframes[1].frame: 9 is outside 0..3"), r.error().message);
  // Sprite constructors check their input.
  QVERIFY(!ns::Sprite::fromRgba(at::zeros({3, 4, 4})).ok());
  auto cut = ns::Sprite::cutOut(at::zeros({3, 40, 20}), ns::NormBox{0.25f, 0.5f, 0.75f, 1.0f}, at::ones({40, 20}));
  QVERIFY2(cut.ok() && cut.value().width() == 10 && cut.value().height() == 20,
           cut.ok() ? fmt("cut-out is %g x %g", cut.value().width(), cut.value().height()) : cut.error().message);
  QVERIFY(!ns::Sprite::cutOut(at::zeros({3, 40, 20}), ns::NormBox{0.25f, 0.5f, 0.75f, 1.0f}, at::ones({20, 20})).ok());
}

void TstSketchRenderer::examplesLoadAndRender() {
  const std::string dir = std::string(NS_SOURCE_DIR) + "/examples/";
  ns::ProjectLoadOptions opt;
  opt.knownModels = {"builtin"};
  for (const char* name : {"red_ball_on_grass.nsproj", "box_and_star_on_the_sea.nsproj", "ring_in_the_night_sky.nsproj"}) {
    ns::Project p;
    auto l = p.load(dir + name, opt);
    QVERIFY2(l.ok(), l.ok() ? "" : l.error().message);
    QVERIFY2(p.width == 64 && p.height == 64 && p.frames == 16, name);
    // The prompt the built-in model sees uses only its vocabulary.
    std::vector<std::string> unknown;
    ns::Vocabulary::tokenize(ns::fullPrompt(p), &unknown);
    QVERIFY2(unknown.empty(), std::string(name) + ": unknown words in \"" + ns::fullPrompt(p) + "\"");
    const auto t0 = std::chrono::steady_clock::now();
    auto r = ns::SketchRenderer().render(p);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
    std::fprintf(stderr, "%s: \"%s\", 16 frames 64x64 rendered in %.1f ms\n", name, ns::fullPrompt(p).c_str(), ms);
    // Every object is visible in at least one frame and moves.
    for (size_t o = 0; o < p.objects.size(); ++o) {
      const long visible = r.value().objectIndex.eq(int64_t(o)).sum().item<int64_t>();
      QVERIFY2(visible > 100, std::string(name) + ": object " + p.objects[o].id + " hardly visible");
    }
    QVERIFY2(r.value().flow.abs().max().item<float>() > 0.5f, std::string(name) + ": nothing moves");
  }
}

NS_REGISTER_TEST(TstSketchRenderer, centroidFollowsBoxCentre, tightBoxForEveryShape, flatSketchLook,
                 flowExactOnTexturedSprite, forwardSplatAndOcclusion, backgrounds, inputErrorsNameTheField,
                 examplesLoadAndRender)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_sketch_renderer.moc"
#endif
