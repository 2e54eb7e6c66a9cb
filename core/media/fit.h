#pragma once
// How media of any size becomes the model's size. Policy (stated in the CLI's --help):
// scale so the image COVERS the target (aspect kept, area filter when shrinking, bilinear when
// enlarging), then centre-crop to exactly size×size (or W×H).

#include <ATen/core/Tensor.h>

namespace ns::media {

// images: [3,H,W] or [F,3,H,W] in [-1,1] -> same rank at [.., outH, outW].
at::Tensor fitCover(const at::Tensor& images, int outH, int outW);

}  // namespace ns::media
