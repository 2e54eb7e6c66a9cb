#include "core/media/mask_image.h"

#include <ATen/ATen.h>

#include <cmath>

#include "core/media/image_io.h"

namespace ns::media {

Result<MaskFrames> readMaskImage(const std::string& path, const ImageLimits& limits) {
  auto image = readImage(path, limits);
  if (!image.ok()) return image.error();
  // [-1,1] RGB -> grey level 0..255; readImage's v/127.5 − 1 inverts exactly after rounding.
  const at::Tensor grey = image->mean(0).add(1.0).mul(127.5).round().clamp(0, 255).to(at::kByte).contiguous();
  MaskFrames m;
  m.count = 1;
  m.height = int(grey.size(0));
  m.width = int(grey.size(1));
  const uint8_t* p = grey.data_ptr<uint8_t>();
  m.data.assign(p, p + grey.numel());
  return m;
}

Result<void> writeMaskImage(const std::string& path, const MaskFrames& mask, int frame) {
  if (frame < 0 || frame >= mask.count || mask.width <= 0 || mask.height <= 0)
    return makeError(ErrorKind::BadInput, path + ": no mask frame " + std::to_string(frame) + " to write (the mask has " +
                                              std::to_string(mask.count) + ")");
  const size_t n = size_t(mask.width) * mask.height;
  std::vector<float> levels(mask.frame(frame), mask.frame(frame) + n);
  at::Tensor grey = at::from_blob(levels.data(), {1, mask.height, mask.width}, at::kFloat).div(127.5).sub(1.0);
  return writeImage(path, grey.expand({3, mask.height, mask.width}).contiguous());
}

}  // namespace ns::media
