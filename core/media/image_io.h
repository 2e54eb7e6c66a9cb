#pragma once
// Image files <-> tensors. Images are float [3,H,W] in [-1,1] (RGB), the convention of Codec.
// Every function validates its input and names the file in its error.

#include <ATen/core/Tensor.h>

#include <string>

#include "core/media/image_header.h"
#include "core/media/result_metadata.h"
#include "core/util/result.h"

namespace ns::media {

// Before decoding, the header is probed (image_header.h): empty, truncated and corrupt files are
// refused, and so are sizes over `limits` (ImageLimits, default defaultImageLimits(): 16384 a
// side, 100 MPixel, raised by NS_MAX_IMAGE_SIDE / NS_MAX_IMAGE_PIXELS or the CLI's flags), all
// before OpenCV allocates the picture.

// Reads PNG/JPEG/TIFF/BMP/EXR (what OpenCV has). Returns [3,H,W] float in [-1,1], RGB.
Result<at::Tensor> readImage(const std::string& path, const ImageLimits& limits = defaultImageLimits());
// Reads an image keeping its alpha: [4,H,W] RGBA in [0,1] (straight alpha; opaque when the file has none).
Result<at::Tensor> readImageRgba(const std::string& path, const ImageLimits& limits = defaultImageLimits());
// Writes [3,H,W] (or [1,3,H,W]) in [-1,1] as 8-bit RGB; atomic (temp file + rename). A PNG
// carries `metadata` (how it was made: result_metadata.h) in its text chunks; other formats
// have no place for it and are written without.
Result<void> writeImage(const std::string& path, const at::Tensor& image, const ResultMetadata& metadata = {});

}  // namespace ns::media
