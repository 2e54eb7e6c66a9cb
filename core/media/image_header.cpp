#include "core/media/image_header.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace ns::media {

namespace {

uint32_t be32(const unsigned char* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }
uint32_t be16(const unsigned char* p) { return uint32_t(p[0]) << 8 | p[1]; }
uint32_t le16(const unsigned char* p) { return uint32_t(p[1]) << 8 | p[0]; }
uint32_t le24(const unsigned char* p) { return uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0]; }
int32_t le32s(const unsigned char* p) {
  return int32_t(uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 | p[0]);
}

Error cutShort(const std::string& name, ImageFormat f) {
  return makeError(ErrorKind::BadInput, name + ": the " + toString(f) + " header is cut short (truncated file)");
}

// PNG: signature, IHDR first; then chunks (length, type, data, CRC) up to IEND. Walking the
// lengths (no CRC check) finds a file that stops early without decoding anything.
Result<ImageHeader> probePng(const unsigned char* d, size_t n, const std::string& name) {
  ImageHeader h;
  h.format = ImageFormat::Png;
  if (n < 24 || std::memcmp(d + 12, "IHDR", 4) != 0) return cutShort(name, h.format);
  h.width = be32(d + 16);
  h.height = be32(d + 20);
  size_t pos = 8;
  h.complete = false;
  while (pos + 8 <= n) {
    const uint64_t len = be32(d + pos);
    const bool iend = std::memcmp(d + pos + 4, "IEND", 4) == 0;
    const uint64_t next = uint64_t(pos) + 12 + len;
    if (next > n) break;
    if (iend) {
      h.complete = true;
      break;
    }
    pos = size_t(next);
  }
  return h;
}

// JPEG: segments after SOI until a SOFn gives the size; the file is complete when an EOI marker
// follows the first scan (entropy-coded data stuffs every 0xFF as FF 00, so FF D9 is only EOI).
Result<ImageHeader> probeJpeg(const unsigned char* d, size_t n, const std::string& name) {
  ImageHeader h;
  h.format = ImageFormat::Jpeg;
  size_t pos = 2;
  bool haveSize = false;
  while (pos + 4 <= n) {
    if (d[pos] != 0xFF) return makeError(ErrorKind::BadInput, name + ": corrupt JPEG (bad marker at byte " + std::to_string(pos) + ")");
    const unsigned char m = d[pos + 1];
    if (m == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {  // markers without a length
      pos += 2;
      continue;
    }
    if (m == 0xD9) break;  // EOI before any scan
    const size_t len = be16(d + pos + 2);
    if (len < 2) return makeError(ErrorKind::BadInput, name + ": corrupt JPEG (segment length " + std::to_string(len) + ")");
    const bool sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
    if (sof) {
      if (pos + 9 > n) return cutShort(name, h.format);
      h.height = be16(d + pos + 5);
      h.width = be16(d + pos + 7);
      haveSize = true;
    }
    if (m == 0xDA) {  // start of scan: look for EOI in the rest of the file
      h.complete = false;
      for (size_t i = pos + 2 + len; i + 1 < n; ++i)
        if (d[i] == 0xFF && d[i + 1] == 0xD9) {
          h.complete = true;
          break;
        }
      if (!haveSize) return makeError(ErrorKind::BadInput, name + ": corrupt JPEG (no frame header before the image data)");
      return h;
    }
    pos += 2 + len;
  }
  if (!haveSize) return cutShort(name, h.format);
  h.complete = false;  // a size but no image data
  return h;
}

}  // namespace

std::string toString(ImageFormat f) {
  switch (f) {
    case ImageFormat::Png: return "PNG";
    case ImageFormat::Jpeg: return "JPEG";
    case ImageFormat::Bmp: return "BMP";
    case ImageFormat::Gif: return "GIF";
    case ImageFormat::WebP: return "WebP";
    case ImageFormat::Unknown: return "image";
    case ImageFormat::Invalid: break;
  }
  return "invalid";
}

namespace {
std::atomic<int64_t> g_sideOverride{0};
std::atomic<int64_t> g_pixelsOverride{0};

int64_t envLimit(const char* var) {
  const char* v = std::getenv(var);
  if (!v || !*v) return 0;
  errno = 0;
  char* end = nullptr;
  const long long x = std::strtoll(v, &end, 10);
  return (errno == 0 && end && *end == '\0' && x > 0) ? int64_t(x) : 0;
}
}  // namespace

ImageLimits defaultImageLimits() {
  ImageLimits l;
  if (const int64_t side = envLimit("NS_MAX_IMAGE_SIDE")) l.maxWidth = l.maxHeight = side;
  if (const int64_t px = envLimit("NS_MAX_IMAGE_PIXELS")) l.maxPixels = px;
  if (const int64_t side = g_sideOverride.load()) l.maxWidth = l.maxHeight = side;
  if (const int64_t px = g_pixelsOverride.load()) l.maxPixels = px;
  return l;
}

void setDefaultImageLimits(int64_t maxSide, int64_t maxPixels) {
  g_sideOverride.store(maxSide > 0 ? maxSide : 0);
  g_pixelsOverride.store(maxPixels > 0 ? maxPixels : 0);
}

Result<ImageHeader> probeImageBytes(const unsigned char* d, size_t n, const std::string& name) {
  if (n == 0) return makeError(ErrorKind::BadInput, name + ": the file is empty");
  static const unsigned char kPng[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  Result<ImageHeader> r = ImageHeader{};
  if (n >= 8 && std::memcmp(d, kPng, 8) == 0) {
    r = probePng(d, n, name);
  } else if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) {
    r = probeJpeg(d, n, name);
  } else if (n >= 2 && d[0] == 'B' && d[1] == 'M') {
    if (n < 26) return cutShort(name, ImageFormat::Bmp);
    ImageHeader h;
    h.format = ImageFormat::Bmp;
    h.width = le32s(d + 18);
    h.height = std::abs(int64_t(le32s(d + 22)));  // negative: rows stored top-down
    r = h;
  } else if (n >= 6 && (std::memcmp(d, "GIF87a", 6) == 0 || std::memcmp(d, "GIF89a", 6) == 0)) {
    if (n < 10) return cutShort(name, ImageFormat::Gif);
    ImageHeader h;
    h.format = ImageFormat::Gif;
    h.width = le16(d + 6);
    h.height = le16(d + 8);
    r = h;
  } else if (n >= 12 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) {
    ImageHeader h;
    h.format = ImageFormat::WebP;
    if (n < 30) return cutShort(name, h.format);
    if (std::memcmp(d + 12, "VP8X", 4) == 0) {
      h.width = int64_t(le24(d + 24)) + 1;
      h.height = int64_t(le24(d + 27)) + 1;
    } else if (std::memcmp(d + 12, "VP8L", 4) == 0) {
      const uint32_t bits = uint32_t(d[21]) | uint32_t(d[22]) << 8 | uint32_t(d[23]) << 16 | uint32_t(d[24]) << 24;
      h.width = int64_t(bits & 0x3FFF) + 1;
      h.height = int64_t((bits >> 14) & 0x3FFF) + 1;
    } else if (std::memcmp(d + 12, "VP8 ", 4) == 0) {
      h.width = le16(d + 26) & 0x3FFF;
      h.height = le16(d + 28) & 0x3FFF;
    } else {
      h.format = ImageFormat::Unknown;
    }
    r = h;
  }
  if (!r.ok()) return r;
  if (r->format != ImageFormat::Unknown && (r->width <= 0 || r->height <= 0))
    return makeError(ErrorKind::BadInput, name + ": corrupt " + toString(r->format) + " header (size " +
                                              std::to_string(r->width) + "x" + std::to_string(r->height) + ")");
  return r;
}

Result<ImageHeader> probeImageFile(const std::string& path, size_t maxBytes) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return makeError(ErrorKind::BadInput, path + ": file not found");
  const auto size = fs::file_size(path, ec);
  if (ec) return makeError(ErrorKind::Io, path + ": could not read its size (" + ec.message() + ")");
  if (size == 0) return makeError(ErrorKind::BadInput, path + ": the file is empty");
  if (size > maxBytes)
    return makeError(ErrorKind::BadInput, path + ": the file is " + std::to_string(size >> 20) +
                                              " MB, more than the " + std::to_string(maxBytes >> 20) + " MB allowed for an image");
  std::ifstream in(path, std::ios::binary);
  std::vector<unsigned char> bytes(static_cast<size_t>(size));
  if (!in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(size)))
    return makeError(ErrorKind::Io, path + ": could not read the file");
  return probeImageBytes(bytes.data(), bytes.size(), path);
}

Result<void> checkImageSize(int64_t width, int64_t height, const ImageLimits& limits, const std::string& name) {
  // Headers give sides up to 2^32 - 1, whose product overflows int64: compare by division, and
  // count the megapixels of the message in floating point (found by fuzz_media_door).
  const bool tooManyPixels = width > 0 && height > 0 && height > limits.maxPixels / width;
  if (width > limits.maxWidth || height > limits.maxHeight || tooManyPixels) {
    const auto megapixels = int64_t(double(width) * double(height) / 1e6);
    return makeError(ErrorKind::BadInput,
                     name + ": the image is " + std::to_string(width) + "x" + std::to_string(height) +
                         " (" + std::to_string(megapixels) + " MPixel), larger than the limit of " +
                         std::to_string(limits.maxWidth) + "x" + std::to_string(limits.maxHeight) + " and " +
                         std::to_string(limits.maxPixels / 1000000) +
                         " MPixel; not loaded (raise it with NS_MAX_IMAGE_SIDE / NS_MAX_IMAGE_PIXELS, or the CLI's "
                         "--max-image-side / --max-image-pixels)");
  }
  return {};
}

Result<void> checkImageHeader(const ImageHeader& h, const ImageLimits& limits, const std::string& name) {
  if (h.format == ImageFormat::Unknown) return {};
  if (auto ok = checkImageSize(h.width, h.height, limits, name); !ok.ok()) return ok;
  if (!h.complete)
    return makeError(ErrorKind::BadInput, name + ": the " + toString(h.format) +
                                              " file is truncated (it ends before the image data does)");
  return {};
}

}  // namespace ns::media
