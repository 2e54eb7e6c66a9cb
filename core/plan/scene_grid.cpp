#include "core/plan/scene_grid.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace ns {

at::Tensor makeSceneGrid(const SceneGenerator& generator, uint64_t firstSeed, int rows, int cols) {
  rows = std::max(1, rows);
  cols = std::max(1, cols);
  const int s = std::max(1, generator.options().size);
  const int gap = 2;
  at::Tensor grid = at::full({3, rows * s + (rows + 1) * gap, cols * s + (cols + 1) * gap}, -0.8f,
                             at::TensorOptions().dtype(at::kFloat));
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const uint64_t seed = firstSeed + static_cast<uint64_t>(r) * static_cast<uint64_t>(cols) + static_cast<uint64_t>(c);
      const GeneratedScene sc = generator.generate(seed);
      const int y = gap + r * (s + gap), x = gap + c * (s + gap);
      grid.narrow(1, y, s).narrow(2, x, s).copy_(sc.image);
    }
  }
  return grid;
}

}  // namespace ns
