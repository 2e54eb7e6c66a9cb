#pragma once
// ScenePalette: the RGB of each named colour in Vocabulary::colours() as the shapes-world
// generator paints it (unshaded base colour, [0,1] sRGB-ish). Other code (verifiers, tests,
// the sketch renderer) can use the same table to compare pixels with colour names.
// Pure functions over a constant table: thread-safe.

#include <array>
#include <string>

namespace ns {

class ScenePalette {
 public:
  // Base colour of `name`; false (and rgb untouched) if the name is not a vocabulary colour.
  static bool rgb(const std::string& name, std::array<float, 3>& rgb);
  // Base colour by index into Vocabulary::colours() (index must be valid).
  static std::array<float, 3> rgbAt(int index);
  // Index of the vocabulary colour nearest to `rgb` (Euclidean in RGB).
  static int nearest(const std::array<float, 3>& rgb);
};

}  // namespace ns
