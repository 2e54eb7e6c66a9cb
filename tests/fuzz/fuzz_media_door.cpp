// libFuzzer target: core/media's door for a dropped or named picture, before any decoder runs —
// the header probe (image_header.h: PNG chunk walk, JPEG segments, BMP, GIF, WebP sizes and
// completeness), the size check against the limits every door uses (media_limits.h), and the
// extension classifier (media_kind.h) on the input read as a file name. Invariants: every error
// names the file; a header the probe accepts with a size is refused by checkImageHeader exactly
// when that size is over the limits or the file is cut short; classification ignores case and
// agrees with the extension lists.
#include <algorithm>
#include <cctype>
#include <string>

#include "core/media/image_header.h"
#include "core/media/media_kind.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nsfuzz::quietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ns::media;
  const std::string name = "dropped.png";
  auto header = probeImageBytes(data, size, name);
  if (!header.ok()) {
    if (header.error().message.find(name) == std::string::npos) nsfuzz::fail("probe error without the file name: " + header.error().message);
  } else {
    ImageLimits limits;
    limits.maxWidth = limits.maxHeight = 4096;
    limits.maxPixels = 4'000'000;
    const auto& h = *header;
    if (h.format != ImageFormat::Unknown && (h.width <= 0 || h.height <= 0)) nsfuzz::fail("accepted a header without a size");
    auto fits = checkImageHeader(h, limits, name);
    const bool sized = h.format != ImageFormat::Unknown;
    const bool over = sized && (h.width > limits.maxWidth || h.height > limits.maxHeight ||
                                double(h.width) * double(h.height) > double(limits.maxPixels));
    const bool shouldRefuse = sized && (over || !h.complete);  // unsized (Unknown) formats: OpenCV checks
    if (fits.ok() == shouldRefuse)
      nsfuzz::fail(std::string("checkImageHeader ") + (fits.ok() ? "accepted" : "refused") + " a " +
                   std::to_string(h.width) + "x" + std::to_string(h.height) + (h.complete ? "" : " truncated") + " header");
    if (!fits.ok() && fits.error().message.find(name) == std::string::npos) nsfuzz::fail("size error without the file name");
  }
  // The bytes as a file name (up to 64 characters): the classifier must agree with the lists, in any case.
  const std::string path(reinterpret_cast<const char*>(data), std::min<size_t>(size, 64));
  const MediaKind kind = classifyMediaPath(path);
  std::string upper = path;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return char(std::toupper(c)); });
  if (classifyMediaPath(upper) != kind) nsfuzz::fail("classification depends on case: " + path);
  const auto dot = path.find_last_of("./");
  if (kind != MediaKind::Other) {
    if (dot == std::string::npos || path[dot] != '.') nsfuzz::fail("a name without an extension classified as media: " + path);
    std::string ext = path.substr(dot);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    const auto& list = kind == MediaKind::Image ? imageExtensions() : videoExtensions();
    if (std::find(list.begin(), list.end(), ext) == list.end()) nsfuzz::fail("classified by an extension not in its list: " + path);
  }
  return 0;
}
