#pragma once
// Scene description shared by the scene generator (training data), the verifier and the
// evaluation: what is in a generated "shapes world" image and where.

#include <algorithm>
#include <string>
#include <vector>

namespace ns {

// Normalised box: [0,1] coordinates, x0 < x1, y0 < y1 (y grows downwards).
struct NormBox {
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  float cx() const { return 0.5f * (x0 + x1); }
  float cy() const { return 0.5f * (y0 + y1); }
  float width() const { return x1 - x0; }
  float height() const { return y1 - y0; }
};

inline float iou(const NormBox& a, const NormBox& b) {
  const float ix = std::max(0.f, std::min(a.x1, b.x1) - std::max(a.x0, b.x0));
  const float iy = std::max(0.f, std::min(a.y1, b.y1) - std::max(a.y0, b.y0));
  const float inter = ix * iy;
  const float uni = a.width() * a.height() + b.width() * b.height() - inter;
  return uni > 0 ? inter / uni : 0.f;
}

struct SceneObject {
  std::string shape;   // one of Vocabulary::shapes()
  std::string colour;  // one of Vocabulary::colours()
  NormBox box;         // tight box of the object's visible extent
};

struct SceneSpec {
  std::string background;            // one of Vocabulary::backgrounds()
  std::vector<SceneObject> objects;  // drawn in order (later ones on top)
};

}  // namespace ns
