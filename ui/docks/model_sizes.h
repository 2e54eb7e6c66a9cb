#pragma once
// Which square image sizes the window offers for a model: its native size (DenoiserInfo.sampleSize
// x the codec's downscale: 512 for SD 1.x, 768 for SD 2.x v-models, 64 for the built-in model) and
// the usual sizes around it that are multiples of the model's pixel grid. Square only: the engine
// renders one size for both sides of the project's frame today, and non-square aspect ratios are
// not offered until it has been checked with them. Pure function; any thread.

#include <QList>

namespace ns::ui {

// Ascending, without duplicates, always containing `nativeSize` (when > 0). Large models
// (native >= 256 px): 256, 384, 512, 640, 768, 896, 1024 and the native size; small models:
// native x 1/2, 1, 3/2, 2. Every size is a multiple of `grid` (sizes that are not are dropped).
QList<int> squareSizesFor(int nativeSize, int grid);

}  // namespace ns::ui
