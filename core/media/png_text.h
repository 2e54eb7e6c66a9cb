#pragma once
// PNG text chunks (tEXt, zTXt, iTXt) read from and inserted into PNG bytes, without decoding the
// picture. This is how results remember how they were made (result_metadata.h): the encoder
// (OpenCV or Qt) writes the pixels, insertPngText() adds the chunks after IHDR.
//
// The reader is a loader for files users hand around, so it trusts nothing: every chunk length
// is checked against the bytes left and the limits below before anything is allocated, CRCs of
// the chunks it uses are checked, compressed text is inflated with a cap. A damaged text chunk
// is skipped with a note (the picture may still be fine); only a file that is not a PNG at all
// is an error. Pure bytes: no OpenCV, no Qt, no torch (fuzzed by tests/fuzz/fuzz_png_metadata).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/util/result.h"

namespace ns::media {

struct PngTextEntry {
  std::string keyword;  // 1-79 Latin-1 characters (PNG spec 11.3.4.2)
  std::string text;     // UTF-8 for iTXt; tEXt/zTXt Latin-1 is converted to UTF-8 when read
  // Written as iTXt (UTF-8). When false and the text is plain ASCII it is written as tEXt, the
  // chunk older tools read ("parameters" lines); read entries say which chunk they came from.
  bool international = true;
};

struct PngTextLimits {
  size_t maxFileBytes = size_t(1) << 30;     // files larger than this are not scanned (1 GiB)
  size_t maxChunkBytes = size_t(64) << 20;   // a text chunk declaring more is skipped (64 MiB)
  size_t maxTextBytes = size_t(16) << 20;    // inflated text above this is refused (16 MiB)
  size_t maxTextChunks = 1024;               // text chunks beyond this many are ignored
};

struct PngTextReadout {
  std::vector<PngTextEntry> entries;  // in file order
  std::vector<std::string> notes;     // damaged chunks that were skipped, each saying where and why
};

// True when `data` starts with the 8-byte PNG signature.
bool hasPngSignature(const uint8_t* data, size_t size);

// The text chunks of PNG bytes. Error (naming `name`) only when the bytes are not a PNG (bad
// signature, missing or damaged IHDR); damaged or truncated chunks after it become notes.
Result<PngTextReadout> readPngText(const uint8_t* data, size_t size, const std::string& name,
                                   const PngTextLimits& limits = {});
// The same for a file (errors name the file: missing, unreadable, too large, not a PNG).
Result<PngTextReadout> readPngTextFile(const std::string& path, const PngTextLimits& limits = {});

// PNG bytes with `entries` inserted as iTXt chunks right after IHDR (zlib-compressed when
// `compress`). Any existing text chunk with the same keyword is dropped so a re-save does not
// stack copies. Errors for bytes that are not a PNG or an invalid keyword.
Result<std::string> insertPngText(const std::string& png, const std::vector<PngTextEntry>& entries,
                                  bool compress = false);

// CRC-32 as PNG uses it (over chunk type + data).
uint32_t pngCrc(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace ns::media
