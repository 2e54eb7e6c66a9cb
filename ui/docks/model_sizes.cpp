#include "ui/docks/model_sizes.h"

#include <algorithm>

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

}  // namespace ns::ui
