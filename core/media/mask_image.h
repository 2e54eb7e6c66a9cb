#pragma once
// Mask images <-> MaskFrames (core/plan/edit_mask.h): how `edit --mask PNG` reads a mask and how
// a painted mask is written out, with the same 8-bit levels on both sides so a mask written here
// and read back gives the edit exactly the window's mask.

#include <string>

#include "core/media/image_header.h"
#include "core/plan/edit_mask.h"
#include "core/util/result.h"

namespace ns::media {

// Reads any image readImage reads as one 8-bit grey frame: the mean of R, G and B, so a grey PNG
// keeps its levels exactly (white = edit, black = keep the source). Errors name the file.
Result<MaskFrames> readMaskImage(const std::string& path, const ImageLimits& limits = defaultImageLimits());

// Writes frame `frame` of `mask` as a grey PNG (R = G = B = level); atomic like writeImage.
Result<void> writeMaskImage(const std::string& path, const MaskFrames& mask, int frame = 0);

}  // namespace ns::media
