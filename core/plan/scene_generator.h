#pragma once
// SceneGenerator: the "shapes world" the built-in model is trained on. Seeded and deterministic:
// the same seed and size give the same pixels on every machine (no global RNG, no threads).
// Scenes are shaded, lit, textured objects with soft shadows over textured backgrounds with
// horizons — clearly richer than the flat sketches a user draws.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "core/model/scene.h"

namespace ns {

struct GeneratedScene {
  at::Tensor image;     // [3,H,W] float in [-1,1], RGB
  SceneSpec spec;       // background + objects with their boxes
  std::string caption;  // e.g. "a red ball and a blue box on grass" (see Vocabulary::caption)
};

struct SceneOptions {
  int size = 64;          // output is size×size
  int minObjects = 1;
  int maxObjects = 3;
};

class SceneGenerator {
 public:
  explicit SceneGenerator(SceneOptions options = {}) : m_options(options) {}
  // Draws a random spec from `seed`, then renders it.
  GeneratedScene generate(uint64_t seed) const;
  // Renders a given spec (boxes are used as given; texture/lighting variation comes from seed).
  GeneratedScene render(const SceneSpec& spec, uint64_t seed) const;
  const SceneOptions& options() const { return m_options; }

 private:
  SceneOptions m_options;
};

}  // namespace ns
