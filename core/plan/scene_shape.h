#pragma once
// SceneShape: the geometry of the shapes-world objects. Each shape lives in its own "native"
// coordinates (y down) with a known tight bounding box; the painter maps a scene box onto that
// box, so a SceneObject's box is exactly the drawn silhouette's extent.
// Pure functions: thread-safe.

#include <string>

namespace ns::scene {

enum class ShapeKind {
  Invalid = 0,  // not a vocabulary shape
  Ball,         // sphere: circle with a radial highlight
  Box,          // cube seen from above-right: front, top and side faces
  Star,         // five-pointed star with bevelled edges
  Ring,         // torus seen from the front
  Triangle,     // upward triangle with bevelled edges
  Heart,        // rounded, puffy heart
};

// What one point of a shape looks like.
struct ShapeSample {
  float coverage = 0.f;               // anti-aliased coverage of the pixel, [0,1]
  float nx = 0.f, ny = 0.f, nz = 1.f;  // unit surface normal (x right, y down, z towards viewer)
  float depth = 0.f;                  // distance inside the silhouette, native units (for rims)
};

struct NativeBox {
  float x0, y0, x1, y1;
  float width() const { return x1 - x0; }
  float height() const { return y1 - y0; }
};

class SceneShape {
 public:
  static ShapeKind fromName(const std::string& name);
  // Tight box of the silhouette in native coordinates.
  static NativeBox nativeBox(ShapeKind kind);
  // Natural width/height ratio of the silhouette (undistorted shape).
  static float aspect(ShapeKind kind) { const NativeBox b = nativeBox(kind); return b.width() / b.height(); }
  // Signed distance to the silhouette in native units (negative inside).
  static float sdf(ShapeKind kind, float x, float y);
  // Coverage and normal at native point (x,y); `pixel` is the size of one pixel in native units.
  static ShapeSample sample(ShapeKind kind, float x, float y, float pixel);
};

}  // namespace ns::scene
