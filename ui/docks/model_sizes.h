#pragma once
// Which image sizes the window offers for a model: its native size (DenoiserInfo.sampleSize x the
// codec's downscale: 512 for SD 1.x, 768 for SD 2.x v-models, 64 for the built-in model), the usual
// square sizes around it, and the usual aspect ratios with the native size as the short side (how
// SD front ends size portraits and landscapes: 512 x 768, 768 x 512, 912 x 512 on SD 1.x). Every
// side is a multiple of the model's pixel grid. Pure functions; any thread.

#include <QList>
#include <QSize>
#include <QString>

namespace ns::ui {

// Ascending, without duplicates, always containing `nativeSize` (when > 0). Large models
// (native >= 256 px): 256, 384, 512, 640, 768, 896, 1024 and the native size; small models:
// native x 1/2, 1, 3/2, 2. Every size is a multiple of `grid` (sizes that are not are dropped).
QList<int> squareSizesFor(int nativeSize, int grid);

struct SizeChoice {
  QSize size;     // width x height in pixels
  QString label;  // "768 × 512 (3:2 landscape)", "512 × 512 (native)"
};

// The square sizes, then landscapes 4:3, 3:2, 16:9 and their portraits: the short side is the
// native size, the long side native x ratio rounded to the grid. Empty for nativeSize <= 0.
QList<SizeChoice> sizeChoicesFor(int nativeSize, int grid);

}  // namespace ns::ui
