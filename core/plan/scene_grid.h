#pragma once
// makeSceneGrid: a contact sheet of generated scenes for people to look at (the CLI saves it as
// a PNG). Cells are the generator's size, seeds run row by row from firstSeed.
// Thread-safe (only calls SceneGenerator::generate, which is const).

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "core/plan/scene_generator.h"

namespace ns {

// [3, rows*S + (rows+1)*2, cols*S + (cols+1)*2] in [-1,1], 2 px dark gutters between cells.
at::Tensor makeSceneGrid(const SceneGenerator& generator, uint64_t firstSeed, int rows, int cols);

}  // namespace ns
