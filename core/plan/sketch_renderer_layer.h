#pragma once
// Internal to SketchRenderer: one object's placement in one frame (SketchXform) and its look
// (SketchLayer: a flat-coloured built-in shape or an RGBA sprite), sampled per pixel.
// Everything here is plain C++ on floats; thread-safe for concurrent reads.

#include <ATen/core/Tensor.h>

#include <array>

#include "core/plan/scene_shape.h"
#include "core/plan/trajectory.h"

namespace ns::sketch {

// Maps an object's local coordinates (u,v) in [-1,1]^2 (the unrotated box) to canvas pixels and
// back. Canvas pixel (x,y) has its centre at (x+0.5, y+0.5); rotation is clockwise on screen.
struct SketchXform {
  double cx = 0, cy = 0;  // box centre, pixels
  double hw = 1, hh = 1;  // half width/height, pixels
  double c = 1, s = 0;    // cos/sin of the rotation

  static SketchXform fromPose(const Pose& pose, int width, int height);
  void toLocal(double x, double y, double& u, double& v) const {
    const double dx = x - cx, dy = y - cy;
    u = (c * dx + s * dy) / hw;
    v = (-s * dx + c * dy) / hh;
  }
  void toCanvas(double u, double v, double& x, double& y) const {
    const double lx = u * hw, ly = v * hh;
    x = cx + c * lx - s * ly;
    y = cy + s * lx + c * ly;
  }
  // Pixel rectangle [x0,x1) × [y0,y1) that holds the rotated box (plus a margin), clipped.
  void pixelBounds(int width, int height, int& x0, int& y0, int& x1, int& y1) const;
};

class SketchLayer {
 public:
  // Flat fill with a darker outline `outlinePx` wide (pixels), colours in [0,1].
  static SketchLayer shape(scene::ShapeKind kind, std::array<float, 3> fill, std::array<float, 3> outline,
                           float outlinePx);
  // Sprite: premultiplied RGBA [4,h,w] float32 contiguous (kept alive by this layer).
  static SketchLayer sprite(at::Tensor premultipliedRgba);

  // Premultiplied colour and alpha at local (u,v) for a pixel of the given transform.
  void sample(double u, double v, const SketchXform& xf, float rgb[3], float& alpha) const;
  // Alpha only (cheaper; used by the occlusion test at exact sub-pixel points).
  float alpha(double u, double v, const SketchXform& xf) const;

 private:
  float shapeCoverage(double u, double v, const SketchXform& xf, float* insideDepthPx) const;
  void spriteSample(double u, double v, float* rgb, float& alpha) const;

  bool m_isSprite = false;
  scene::ShapeKind m_kind = scene::ShapeKind::Invalid;
  scene::NativeBox m_native{-1, -1, 1, 1};
  std::array<float, 3> m_fill{}, m_outline{};
  float m_outlinePx = 1;
  at::Tensor m_sprite;  // premultiplied RGBA
  const float* m_px = nullptr;
  int m_w = 0, m_h = 0;
};

}  // namespace ns::sketch
