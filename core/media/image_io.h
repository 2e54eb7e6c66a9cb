#pragma once
// Image files <-> tensors. Images are float [3,H,W] in [-1,1] (RGB), the convention of Codec.
// Every function validates its input and names the file in its error.

#include <ATen/core/Tensor.h>

#include <string>

#include "core/util/result.h"

namespace ns::media {

// Limits applied before decoding (absurd sizes are refused before allocating).
struct ImageLimits {
  int maxWidth = 16384;
  int maxHeight = 16384;
};

// Reads PNG/JPEG/TIFF/BMP/EXR (what OpenCV has). Returns [3,H,W] float in [-1,1], RGB.
Result<at::Tensor> readImage(const std::string& path, const ImageLimits& limits = {});
// Reads an image keeping its alpha: [4,H,W] RGBA in [0,1] (straight alpha; opaque when the file has none).
Result<at::Tensor> readImageRgba(const std::string& path, const ImageLimits& limits = {});
// Writes [3,H,W] (or [1,3,H,W]) in [-1,1] as 8-bit RGB; atomic (temp file + rename).
Result<void> writeImage(const std::string& path, const at::Tensor& image);

}  // namespace ns::media
