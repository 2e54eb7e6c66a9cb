#include "ui/docks/model_sizes.h"

#include <QCoreApplication>
#include <algorithm>
#include <cmath>

namespace ns::ui {

QList<int> squareSizesFor(int nativeSize, int grid) {
  if (nativeSize <= 0) return {};
  grid = std::max(1, grid);
  QList<int> candidates{nativeSize};
  if (nativeSize >= 256) {
    // The sizes SD front ends offer: steps of 128 px up to 1024 (all multiples of SD's 8 px grid).
    for (int s = 256; s <= 1024; s += 128) candidates << s;
  } else {
    candidates << nativeSize / 2 << nativeSize * 3 / 2 << nativeSize * 2;
  }
  QList<int> sizes;
  for (int s : candidates)
    if (s > 0 && s % grid == 0 && !sizes.contains(s)) sizes << s;
  std::sort(sizes.begin(), sizes.end());
  return sizes;
}

QList<SizeChoice> sizeChoicesFor(int nativeSize, int grid) {
  QList<SizeChoice> out;
  if (nativeSize <= 0) return out;
  grid = std::max(1, grid);
  auto tr = [](const char* s) { return QCoreApplication::translate("ModelSizes", s); };
  for (int s : squareSizesFor(nativeSize, grid))
    out.push_back({QSize(s, s), s == nativeSize ? tr("%1 × %1 (native)").arg(s) : tr("%1 × %1").arg(s)});
  if (nativeSize % grid != 0) return out;  // no grid-aligned short side to build ratios on
  struct Ratio {
    int a, b;
  };
  for (Ratio r : {Ratio{4, 3}, Ratio{3, 2}, Ratio{16, 9}}) {
    const int longSide = int(std::lround(double(nativeSize) * r.a / r.b / grid)) * grid;
    if (longSide <= nativeSize) continue;
    out.push_back({QSize(longSide, nativeSize), tr("%1 × %2 (%3:%4 landscape)").arg(longSide).arg(nativeSize).arg(r.a).arg(r.b)});
    out.push_back({QSize(nativeSize, longSide), tr("%1 × %2 (%3:%4 portrait)").arg(nativeSize).arg(longSide).arg(r.b).arg(r.a)});
  }
  return out;
}

}  // namespace ns::ui
