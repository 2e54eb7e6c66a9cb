#pragma once
// SceneCanvas: the plain float RGB buffer the shapes-world generator paints into (values in
// [0,1], row-major, interleaved). Owned by one render call; not shared between threads.

#include <vector>

namespace ns::scene {

struct Rgb {
  float r = 0.f, g = 0.f, b = 0.f;
};
inline Rgb operator*(const Rgb& c, float s) { return {c.r * s, c.g * s, c.b * s}; }
inline Rgb operator*(const Rgb& a, const Rgb& b) { return {a.r * b.r, a.g * b.g, a.b * b.b}; }
inline Rgb operator+(const Rgb& a, const Rgb& b) { return {a.r + b.r, a.g + b.g, a.b + b.b}; }
inline Rgb lerp(const Rgb& a, const Rgb& b, float t) {
  return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t};
}

class SceneCanvas {
 public:
  explicit SceneCanvas(int size) : m_size(size), m_px(static_cast<size_t>(size) * size) {}
  int size() const { return m_size; }
  Rgb& at(int x, int y) { return m_px[static_cast<size_t>(y) * m_size + x]; }
  const Rgb& at(int x, int y) const { return m_px[static_cast<size_t>(y) * m_size + x]; }
  // Alpha-blends `c` over pixel (x,y) with coverage `a` in [0,1].
  void blend(int x, int y, const Rgb& c, float a) {
    Rgb& p = at(x, y);
    p = lerp(p, c, a);
  }
  // Normalised coordinate of a pixel centre.
  float coord(int i) const { return (static_cast<float>(i) + 0.5f) / static_cast<float>(m_size); }

 private:
  int m_size;
  std::vector<Rgb> m_px;
};

}  // namespace ns::scene
