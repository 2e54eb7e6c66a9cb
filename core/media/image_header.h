#pragma once
// A light look at an image file's bytes before anything decodes them: the format, the pixel size
// the header claims and whether the file is complete. OpenCV allocates the full picture as soon
// as it has read the header, so a 100000x100000 PNG of a few bytes would ask for 30 GB; reading
// the size here first lets readImage refuse it with a message instead.
//
// Parsed: PNG (IHDR, chunk walk to IEND), JPEG (SOFn, EOI after the scan), BMP, GIF, WebP. Other
// formats (TIFF, EXR, ...) come back as Unknown with no size; OpenCV's own header check
// (OPENCV_IO_MAX_IMAGE_PIXELS, 2^30 by default) still stands between them and a huge allocation.
// Pure functions, no OpenCV, thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/util/result.h"

namespace ns::media {

enum class ImageFormat { Invalid = 0, Png, Jpeg, Bmp, Gif, WebP, Unknown };
std::string toString(ImageFormat f);

struct ImageHeader {
  ImageFormat format = ImageFormat::Unknown;
  int64_t width = 0;   // 0 when the format is Unknown
  int64_t height = 0;
  bool complete = true;  // false: the file stops before its end marker (truncated download/copy)
};

// Size limits applied before decoding. Built-in defaults; defaultImageLimits() applies overrides.
struct ImageLimits {
  int64_t maxWidth = 16384;
  int64_t maxHeight = 16384;
  int64_t maxPixels = 100'000'000;  // width x height
};

// The limits readImage uses when none are given: the built-in ones, then the environment
// (NS_MAX_IMAGE_SIDE: both sides; NS_MAX_IMAGE_PIXELS: width x height), then
// setDefaultImageLimits() (the CLI's --max-image-pixels / --max-image-side). Read at each call.
ImageLimits defaultImageLimits();
// Process-wide override (call at start-up, before worker threads read images). Values <= 0 leave
// that limit to the environment / built-in default.
void setDefaultImageLimits(int64_t maxSide, int64_t maxPixels);

// Parses the header of `size` bytes. Errors (BadInput, naming `name`): empty, header cut short,
// corrupt header (zero or negative size). Unknown formats are not an error.
Result<ImageHeader> probeImageBytes(const unsigned char* data, size_t size, const std::string& name);
// Reads `path` (at most maxBytes) and probes it; errors name the file.
Result<ImageHeader> probeImageFile(const std::string& path, size_t maxBytes = size_t(512) << 20);

// Checks a probed header against `limits` and completeness: the one place that words the
// "too large" and "truncated" errors, so the CLI, the GUI and every loader say the same thing.
Result<void> checkImageHeader(const ImageHeader& header, const ImageLimits& limits, const std::string& name);
// Only the size part of checkImageHeader (for sizes known after decoding a format not parsed here).
Result<void> checkImageSize(int64_t width, int64_t height, const ImageLimits& limits, const std::string& name);

}  // namespace ns::media
