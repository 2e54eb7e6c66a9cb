#include "core/plan/scene_object_painter.h"

#include <algorithm>
#include <cmath>

#include "core/plan/scene_rng.h"

namespace ns::scene {

namespace {

// Maps normalised image coordinates into a shape's native coordinates for one box.
struct BoxMap {
  NativeBox nb;
  NormBox box;
  float sx, sy;   // native units per normalised unit
  float pixel;    // one pixel in native units (mean of both axes)
  BoxMap(ShapeKind kind, const NormBox& b, int size) : nb(SceneShape::nativeBox(kind)), box(b) {
    sx = nb.width() / std::max(box.width(), 1e-6f);
    sy = nb.height() / std::max(box.height(), 1e-6f);
    pixel = 0.5f * (sx + sy) / static_cast<float>(size);
  }
  float nx(float u) const { return nb.x0 + (u - box.x0) * sx; }
  float ny(float v) const { return nb.y0 + (v - box.y0) * sy; }
};

// Pixel range covering [lo,hi] in normalised coordinates (clipped to the canvas).
void pixelRange(float lo, float hi, int size, int& i0, int& i1) {
  i0 = std::max(0, static_cast<int>(std::floor(lo * static_cast<float>(size))) - 1);
  i1 = std::min(size - 1, static_cast<int>(std::ceil(hi * static_cast<float>(size))) + 1);
}

}  // namespace

void SceneObjectPainter::paintShadow(SceneCanvas& canvas, ShapeKind kind, const NormBox& box,
                                     const SceneLight& light, bool grounded) {
  const int n = canvas.size();
  const float side = 0.5f * (box.width() + box.height());
  // Offset away from the light, proportional to the object's size, so the layout is scale-free.
  const float ox = -light.x * 0.10f * side, oy = -light.y * 0.10f * side;
  const NormBox sb{box.x0 + ox, box.y0 + oy, box.x1 + ox, box.y1 + oy};
  const BoxMap m(kind, sb, n);
  const float soft = 0.18f;  // penumbra width in native units
  const float pad = 0.25f * side;
  int x0, x1, y0, y1;
  pixelRange(sb.x0 - pad, sb.x1 + pad, n, x0, x1);
  pixelRange(sb.y0 - pad, sb.y1 + pad + (grounded ? 0.1f * side : 0.f), n, y0, y1);
  const Rgb dark{0.f, 0.f, 0.03f};
  for (int y = y0; y <= y1; ++y) {
    const float v = canvas.coord(y);
    for (int x = x0; x <= x1; ++x) {
      const float u = canvas.coord(x);
      const float d = SceneShape::sdf(kind, m.nx(u), m.ny(v));
      float a = 0.30f * smoothstep(soft + m.pixel, -soft, d);
      if (grounded) {
        // Contact shadow: a flat ellipse centred under the base of the object.
        const float ex = (u - (box.cx() + 0.3f * ox)) / (0.55f * box.width());
        const float ey = (v - box.y1) / (0.09f * box.width() + 0.5f / static_cast<float>(n));
        const float r = ex * ex + ey * ey;
        a = std::max(a, 0.42f * smoothstep(1.f, 0.f, r));
      }
      if (a > 0.f) canvas.blend(x, y, dark, a);
    }
  }
}

void SceneObjectPainter::paintObject(SceneCanvas& canvas, ShapeKind kind, const Rgb& colour, const NormBox& box,
                                     const SceneLight& light, uint32_t texSeed) {
  const int n = canvas.size();
  const BoxMap m(kind, box, n);
  int x0, x1, y0, y1;
  pixelRange(box.x0, box.x1, n, x0, x1);
  pixelRange(box.y0, box.y1, n, y0, y1);
  // Blinn-Phong half vector for a viewer straight ahead.
  float hx = light.x, hy = light.y, hz = light.z + 1.f;
  const float hl = std::sqrt(hx * hx + hy * hy + hz * hz);
  hx /= hl;
  hy /= hl;
  hz /= hl;
  // Texture frequency in cycles per object, limited by the object's size in pixels.
  const int objPx = std::max(1, static_cast<int>(0.5f * (box.width() + box.height()) * static_cast<float>(n)));
  // Dark colours need a stronger highlight to show their form; bright ones a softer one.
  const float luma = 0.3f * colour.r + 0.59f * colour.g + 0.11f * colour.b;
  const float specGain = 0.55f - 0.25f * luma;
  const float rimGain = 0.16f * (1.f - luma) * (1.f - luma);
  for (int y = y0; y <= y1; ++y) {
    const float v = canvas.coord(y);
    for (int x = x0; x <= x1; ++x) {
      const float u = canvas.coord(x);
      const float px = m.nx(u), py = m.ny(v);
      const ShapeSample s = SceneShape::sample(kind, px, py, m.pixel);
      if (s.coverage <= 0.f) continue;
      const float diff = std::max(0.f, s.nx * light.x + s.ny * light.y + s.nz * light.z);
      // Shade range kept narrow (0.70..1.06) so hues survive on the shadow side.
      float shade = 0.70f + 0.36f * diff;
      // Ambient occlusion towards the rim: a thin darker band just inside the silhouette.
      shade *= 1.f - 0.12f * smoothstep(0.10f, 0.f, s.depth);
      // Subtle surface texture attached to the object (moves and scales with it).
      const float tex = fbm(px, py, 2.5f, 2.5f, 3, objPx / 2, texSeed);  // native side is 2 units
      shade *= 1.f + 0.06f * tex;
      const float nh = std::max(0.f, s.nx * hx + s.ny * hy + s.nz * hz);
      float q = nh * nh;  // nh^36 by squaring (std::pow is slow per pixel)
      q *= q;
      const float n4 = q;
      q *= q;
      q *= q;
      q *= q;
      const float spec = specGain * q * n4;
      // Cool rim light just inside the silhouette, only noticeable on dark paint: it keeps black
      // and brown objects readable on night and room backgrounds without changing their colour.
      const float rim = rimGain * smoothstep(0.14f, 0.f, s.depth);
      Rgb c = colour * shade + Rgb{spec + 0.85f * rim, spec + 0.9f * rim, spec + rim};
      c = {std::min(c.r, 1.f), std::min(c.g, 1.f), std::min(c.b, 1.f)};
      canvas.blend(x, y, c, s.coverage);
    }
  }
}

}  // namespace ns::scene
