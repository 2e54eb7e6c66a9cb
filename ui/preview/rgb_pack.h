#pragma once
// packRgb: planar float RGB -> one RGBA8 word per pixel, what PreviewDrawer uploads for the RGB
// colour map (shaders/preview.frag map 4 reads it with unpackUnorm4x8). A third of the bytes of
// three float planes and one shader load per pixel instead of three: on llvmpipe those loads
// dominated the draw.

#include <cstddef>
#include <cstdint>

namespace ns::ui {

// Each value is clamped to [0,1] (NaN -> 0) and rounded to 8 bits (v*255 + 0.5, truncated): what a
// UNORM target stores for the float, so packing changes no pixel of the map. `planes` holds
// `layers` planes of `plane` floats: 1 layer is grey, 2 are (c0, c1, 0), 3 are RGB (ColourMap::Rgb's
// rule). R lands in the low byte, alpha is 255. Large frames are packed by two threads.
void packRgb(const float* planes, size_t plane, int layers, uint32_t* dst);

}  // namespace ns::ui
