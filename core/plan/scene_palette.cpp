#include "core/plan/scene_palette.h"

#include "core/model/vocabulary.h"

namespace ns {

namespace {
// Same order as Vocabulary::colours(). Chosen far apart in RGB and bright enough that lit and
// shaded versions keep their hue (yellow stays yellow on the shadow side).
constexpr std::array<std::array<float, 3>, 10> kColours{{
    {0.86f, 0.12f, 0.12f},  // red
    {1.00f, 0.52f, 0.06f},  // orange
    {1.00f, 0.88f, 0.10f},  // yellow
    {0.16f, 0.70f, 0.22f},  // green
    {0.12f, 0.32f, 0.92f},  // blue
    {0.55f, 0.20f, 0.78f},  // purple
    {1.00f, 0.50f, 0.74f},  // pink
    {0.95f, 0.95f, 0.95f},  // white
    {0.07f, 0.07f, 0.08f},  // black
    {0.50f, 0.29f, 0.12f},  // brown
}};
}  // namespace

bool ScenePalette::rgb(const std::string& name, std::array<float, 3>& rgb) {
  const int i = Vocabulary::indexOf(Vocabulary::colours(), name);
  if (i < 0 || i >= static_cast<int>(kColours.size())) return false;
  rgb = kColours[static_cast<size_t>(i)];
  return true;
}

std::array<float, 3> ScenePalette::rgbAt(int index) { return kColours.at(static_cast<size_t>(index)); }

int ScenePalette::nearest(const std::array<float, 3>& rgb) {
  int best = 0;
  float bestD = 1e30f;
  for (size_t i = 0; i < kColours.size(); ++i) {
    float d = 0.f;
    for (int c = 0; c < 3; ++c) d += (rgb[c] - kColours[i][c]) * (rgb[c] - kColours[i][c]);
    if (d < bestD) {
      bestD = d;
      best = static_cast<int>(i);
    }
  }
  return best;
}

}  // namespace ns
