#include "core/plan/sketch_renderer_layer.h"

#include <algorithm>
#include <cmath>

namespace ns::sketch {

SketchXform SketchXform::fromPose(const Pose& pose, int width, int height) {
  SketchXform xf;
  xf.cx = double(pose.box.cx()) * width;
  xf.cy = double(pose.box.cy()) * height;
  // A box thinner than 1e-3 px would divide by ~0; validation keeps x0 < x1, this keeps it finite.
  xf.hw = std::max(1e-3, 0.5 * double(pose.box.width()) * width);
  xf.hh = std::max(1e-3, 0.5 * double(pose.box.height()) * height);
  const double th = pose.rotationDeg * M_PI / 180.0;
  xf.c = std::cos(th);
  xf.s = std::sin(th);
  return xf;
}

void SketchXform::pixelBounds(int width, int height, int& x0, int& y0, int& x1, int& y1) const {
  const double ex = std::fabs(c) * hw + std::fabs(s) * hh + 2.0;
  const double ey = std::fabs(s) * hw + std::fabs(c) * hh + 2.0;
  x0 = int(std::clamp(std::floor(cx - ex), 0.0, double(width)));
  x1 = int(std::clamp(std::ceil(cx + ex), 0.0, double(width)));
  y0 = int(std::clamp(std::floor(cy - ey), 0.0, double(height)));
  y1 = int(std::clamp(std::ceil(cy + ey), 0.0, double(height)));
}

SketchLayer SketchLayer::shape(scene::ShapeKind kind, std::array<float, 3> fill, std::array<float, 3> outline,
                               float outlinePx) {
  SketchLayer l;
  l.m_kind = kind;
  l.m_native = scene::SceneShape::nativeBox(kind);
  l.m_fill = fill;
  l.m_outline = outline;
  l.m_outlinePx = outlinePx;
  return l;
}

SketchLayer SketchLayer::sprite(at::Tensor premultipliedRgba) {
  SketchLayer l;
  l.m_isSprite = true;
  l.m_sprite = std::move(premultipliedRgba);
  l.m_px = l.m_sprite.data_ptr<float>();
  l.m_h = int(l.m_sprite.size(1));
  l.m_w = int(l.m_sprite.size(2));
  return l;
}

// Coverage from the shape's signed distance converted to pixels: a 1-pixel linear ramp across
// the edge is the usual cheap anti-aliasing and keeps the silhouette exactly the shapes-world one
// (the box maps onto the shape's native tight box, as in the scene generator).
float SketchLayer::shapeCoverage(double u, double v, const SketchXform& xf, float* insideDepthPx) const {
  const double nw = m_native.width(), nh = m_native.height();
  const double nx = m_native.x0 + (u + 1.0) * 0.5 * nw;
  const double ny = m_native.y0 + (v + 1.0) * 0.5 * nh;
  // Native units per pixel (geometric mean of the two axes: boxes may stretch the shape).
  const double perPx = std::sqrt((nw / (2.0 * xf.hw)) * (nh / (2.0 * xf.hh)));
  const double dPx = double(scene::SceneShape::sdf(m_kind, float(nx), float(ny))) / perPx;
  if (insideDepthPx) *insideDepthPx = float(-dPx);
  return float(std::clamp(0.5 - dPx, 0.0, 1.0));
}

// Bilinear on premultiplied RGBA with transparent outside (align_corners=False convention: the
// sprite's w pixels span u in [-1,1]).
void SketchLayer::spriteSample(double u, double v, float* rgb, float& alpha) const {
  const double sx = (u + 1.0) * 0.5 * m_w - 0.5;
  const double sy = (v + 1.0) * 0.5 * m_h - 0.5;
  const double fx = std::floor(sx), fy = std::floor(sy);
  const int ix = int(fx), iy = int(fy);
  const double ax = sx - fx, ay = sy - fy;
  float acc[4] = {0, 0, 0, 0};
  const size_t plane = size_t(m_w) * m_h;
  for (int dy = 0; dy < 2; ++dy) {
    const int y = iy + dy;
    if (y < 0 || y >= m_h) continue;
    const double wy = dy ? ay : 1.0 - ay;
    for (int dx = 0; dx < 2; ++dx) {
      const int x = ix + dx;
      if (x < 0 || x >= m_w) continue;
      const float w = float(wy * (dx ? ax : 1.0 - ax));
      const size_t o = size_t(y) * m_w + x;
      for (int ch = 0; ch < 4; ++ch) acc[ch] += w * m_px[ch * plane + o];
    }
  }
  if (rgb) {
    rgb[0] = acc[0];
    rgb[1] = acc[1];
    rgb[2] = acc[2];
  }
  alpha = acc[3];
}

void SketchLayer::sample(double u, double v, const SketchXform& xf, float rgb[3], float& alpha) const {
  if (m_isSprite) {
    spriteSample(u, v, rgb, alpha);
    return;
  }
  float depth = 0;
  alpha = shapeCoverage(u, v, xf, &depth);
  // Fill well inside, outline colour within outlinePx of the edge, a half-pixel blend between.
  const float t = std::clamp(depth - m_outlinePx + 0.5f, 0.f, 1.f);
  for (int ch = 0; ch < 3; ++ch) rgb[ch] = alpha * (m_outline[size_t(ch)] + t * (m_fill[size_t(ch)] - m_outline[size_t(ch)]));
}

float SketchLayer::alpha(double u, double v, const SketchXform& xf) const {
  if (m_isSprite) {
    float a = 0;
    spriteSample(u, v, nullptr, a);
    return a;
  }
  return shapeCoverage(u, v, xf, nullptr);
}

}  // namespace ns::sketch
