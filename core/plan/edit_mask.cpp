#include "core/plan/edit_mask.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ns {

namespace {

std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// Squared distance from (px, py) to the segment a-b (all in pixels).
double segmentDistance2(double px, double py, double ax, double ay, double bx, double by) {
  const double vx = bx - ax, vy = by - ay;
  const double len2 = vx * vx + vy * vy;
  double t = len2 > 0 ? ((px - ax) * vx + (py - ay) * vy) / len2 : 0.0;
  t = std::clamp(t, 0.0, 1.0);
  const double dx = px - (ax + t * vx), dy = py - (ay + t * vy);
  return dx * dx + dy * dy;
}

// The stroke's coverage in [0,1] per pixel: the brush profile of the distance to its polyline.
// Each segment only visits the pixels within the radius of its bounding box.
std::vector<float> strokeCoverage(const MaskOp& op, int width, int height) {
  std::vector<float> c(size_t(width) * height, 0.f);
  const double side = std::min(width, height);
  const double r = double(op.radius) * side;
  const double inner = r * std::clamp(double(op.hardness), 0.0, 1.0);
  auto profile = [r, inner](double d) -> float {
    if (d <= inner) return 1.f;
    if (d >= r) return 0.f;
    const double t = (d - inner) / (r - inner);
    return float(1.0 - t * t * (3.0 - 2.0 * t));
  };
  // Segments p[i]-p[i+1]; a single point is a segment of length 0 (one dab).
  const size_t n = op.points.size();
  for (size_t i = 0; i + 1 < std::max<size_t>(n, 2); ++i) {
    const MaskPoint& a = op.points[i];
    const MaskPoint& b = op.points[std::min(i + 1, n - 1)];
    const double ax = double(a.x) * width, ay = double(a.y) * height;
    const double bx = double(b.x) * width, by = double(b.y) * height;
    const int x0 = std::max(0, int(std::floor(std::min(ax, bx) - r)));
    const int x1 = std::min(width - 1, int(std::ceil(std::max(ax, bx) + r)));
    const int y0 = std::max(0, int(std::floor(std::min(ay, by) - r)));
    const int y1 = std::min(height - 1, int(std::ceil(std::max(ay, by) + r)));
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) {
        // Pixel centres: pixel (x, y) covers [x, x+1) x [y, y+1) of the canvas in pixels.
        const double d = std::sqrt(segmentDistance2(x + 0.5, y + 0.5, ax, ay, bx, by));
        float& v = c[size_t(y) * width + x];
        v = std::max(v, profile(d));
      }
    }
  }
  return c;
}

// Separable Gaussian blur with clamped borders (σ in pixels, kernel radius 3σ).
void gaussianBlur(std::vector<float>& v, int width, int height, double sigma) {
  if (sigma <= 0) return;
  const int radius = std::max(1, int(std::ceil(3 * sigma)));
  std::vector<double> k(size_t(2 * radius + 1));
  double sum = 0;
  for (int i = -radius; i <= radius; ++i) sum += k[size_t(i + radius)] = std::exp(-0.5 * i * i / (sigma * sigma));
  for (double& w : k) w /= sum;
  std::vector<float> tmp(v.size());
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      double s = 0;
      for (int i = -radius; i <= radius; ++i) s += k[size_t(i + radius)] * v[size_t(y) * width + std::clamp(x + i, 0, width - 1)];
      tmp[size_t(y) * width + x] = float(s);
    }
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      double s = 0;
      for (int i = -radius; i <= radius; ++i) s += k[size_t(i + radius)] * tmp[size_t(std::clamp(y + i, 0, height - 1)) * width + x];
      v[size_t(y) * width + x] = float(s);
    }
}

}  // namespace

std::string maskOpKindName(MaskOpKind k) {
  switch (k) {
    case MaskOpKind::Paint: return "paint";
    case MaskOpKind::Erase: return "erase";
    case MaskOpKind::Invert: return "invert";
    case MaskOpKind::Clear: return "clear";
    default: return "invalid";
  }
}

MaskOpKind maskOpKindFromName(const std::string& s) {
  if (s == "paint") return MaskOpKind::Paint;
  if (s == "erase") return MaskOpKind::Erase;
  if (s == "invert") return MaskOpKind::Invert;
  if (s == "clear") return MaskOpKind::Clear;
  return MaskOpKind::Invalid;
}

bool EditMask::perFrame() const {
  return std::any_of(ops.begin(), ops.end(), [](const MaskOp& o) { return o.frame >= 0; });
}

std::vector<uint8_t> EditMask::rasterize(int width, int height, int frame) const {
  std::vector<uint8_t> out;
  if (width <= 0 || height <= 0) return out;
  std::vector<float> v(size_t(width) * height, 0.f);
  for (const MaskOp& op : ops) {
    if (op.frame >= 0 && op.frame != frame) continue;
    switch (op.kind) {
      case MaskOpKind::Paint:
      case MaskOpKind::Erase: {
        if (op.points.empty()) break;
        const std::vector<float> c = strokeCoverage(op, width, height);
        if (op.kind == MaskOpKind::Paint)
          for (size_t i = 0; i < v.size(); ++i) v[i] = std::max(v[i], c[i]);
        else
          for (size_t i = 0; i < v.size(); ++i) v[i] = std::min(v[i], 1.f - c[i]);
        break;
      }
      case MaskOpKind::Invert:
        for (float& x : v) x = 1.f - x;
        break;
      case MaskOpKind::Clear: std::fill(v.begin(), v.end(), 0.f); break;
      default: break;
    }
  }
  gaussianBlur(v, width, height, double(feather) * std::min(width, height));
  out.resize(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = uint8_t(std::lround(std::clamp(v[i], 0.f, 1.f) * 255.f));
  return out;
}

MaskFrames EditMask::rasterizeFrames(int width, int height, int frames) const {
  MaskFrames m;
  if (width <= 0 || height <= 0 || frames <= 0) return m;
  m.count = perFrame() ? frames : 1;
  m.width = width;
  m.height = height;
  m.data.reserve(size_t(m.count) * width * height);
  for (int f = 0; f < m.count; ++f) {
    const std::vector<uint8_t> one = rasterize(width, height, f);
    m.data.insert(m.data.end(), one.begin(), one.end());
  }
  return m;
}

std::vector<std::string> EditMask::problems(int frames, const std::string& path) const {
  std::vector<std::string> out;
  auto add = [&out](const std::string& p, const std::string& msg) { out.push_back(p + ": " + msg); };
  if (!std::isfinite(feather) || feather < 0 || feather > kMaxFeather)
    add(path + ".feather", num(feather) + " is outside 0.." + num(kMaxFeather));
  if (ops.size() > kMaxOps) add(path + ".ops", std::to_string(ops.size()) + " operations (at most " + std::to_string(kMaxOps) + ")");
  for (size_t i = 0; i < ops.size() && i < kMaxOps; ++i) {
    const MaskOp& o = ops[i];
    const std::string p = path + ".ops[" + std::to_string(i) + "]";
    if (o.kind == MaskOpKind::Invalid) add(p + ".op", "is not set");
    if (o.frame < -1 || o.frame >= frames)
      add(p + ".frame", std::to_string(o.frame) + " is outside -1.." + std::to_string(frames - 1) + " (-1 = every frame)");
    if (o.kind != MaskOpKind::Paint && o.kind != MaskOpKind::Erase) continue;
    if (!std::isfinite(o.radius) || o.radius <= 0 || o.radius > 1) add(p + ".radius", num(o.radius) + " is outside (0, 1]");
    if (!std::isfinite(o.hardness) || o.hardness < 0 || o.hardness > 1) add(p + ".hardness", num(o.hardness) + " is outside 0..1");
    if (o.points.empty()) add(p + ".points", "a stroke needs at least one point");
    if (o.points.size() > kMaxPointsPerOp)
      add(p + ".points", std::to_string(o.points.size()) + " points (at most " + std::to_string(kMaxPointsPerOp) + ")");
    for (size_t k = 0; k < o.points.size(); ++k) {
      const MaskPoint& pt = o.points[k];
      // Strokes may start off the canvas (a brush dragged in from outside), but not absurdly far.
      if (!std::isfinite(pt.x) || !std::isfinite(pt.y) || pt.x < -1 || pt.x > 2 || pt.y < -1 || pt.y > 2) {
        add(p + ".points[" + std::to_string(k) + "]", "(" + num(pt.x) + ", " + num(pt.y) + ") is outside -1..2");
        break;
      }
    }
  }
  return out;
}

FrameBuffer maskFramesToBuffer(const MaskFrames& mask) {
  FrameBuffer f;
  f.kind = FrameKind::Noise;  // a raw value map, not an RGB image
  f.count = mask.count;
  f.channels = 1;
  f.height = mask.height;
  f.width = mask.width;
  f.data.resize(mask.data.size());
  for (size_t i = 0; i < mask.data.size(); ++i) f.data[i] = float(mask.data[i]) / 255.f;
  return f;
}

}  // namespace ns
