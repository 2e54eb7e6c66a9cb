#pragma once
// SceneObjectPainter: paints one shapes-world object (shaded, lit, lightly textured,
// anti-aliased) and its soft shadow into a SceneCanvas. The object's silhouette fills its
// normalised box exactly (see SceneShape::nativeBox). Pure functions: thread-safe.

#include <cstdint>

#include "core/model/scene.h"
#include "core/plan/scene_canvas.h"
#include "core/plan/scene_shape.h"

namespace ns::scene {

// Direction towards the light (unit vector; x right, y down, z towards the viewer).
struct SceneLight {
  float x = -0.5f, y = -0.6f, z = 0.62f;
};

class SceneObjectPainter {
 public:
  // Soft shadow cast down-right of the object (away from the light); `grounded` adds a contact
  // shadow on the ground under the object's base.
  static void paintShadow(SceneCanvas& canvas, ShapeKind kind, const NormBox& box, const SceneLight& light,
                          bool grounded);
  static void paintObject(SceneCanvas& canvas, ShapeKind kind, const Rgb& colour, const NormBox& box,
                          const SceneLight& light, uint32_t texSeed);
};

}  // namespace ns::scene
