#include "core/media/png_text.h"

#include <zlib.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace ns::media {

namespace {

constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr uint32_t kMaxChunkLength = 0x7fffffffu;  // PNG spec 5.3: lengths are < 2^31

uint32_t readU32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

void appendU32(std::string& out, uint32_t v) {
  out.push_back(char(v >> 24));
  out.push_back(char(v >> 16));
  out.push_back(char(v >> 8));
  out.push_back(char(v));
}

const std::array<uint32_t, 256>& crcTable() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  return table;
}

std::string latin1ToUtf8(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c < 0x80) {
      out.push_back(char(c));
    } else {
      out.push_back(char(0xc0 | (c >> 6)));
      out.push_back(char(0x80 | (c & 0x3f)));
    }
  }
  return out;
}

bool isAscii(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

// PNG spec 11.3.4.2: 1-79 printable Latin-1 characters, no leading, trailing or double spaces.
bool validKeyword(const std::string& k) {
  if (k.empty() || k.size() > 79 || k.front() == ' ' || k.back() == ' ') return false;
  for (size_t i = 0; i < k.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(k[i]);
    if (c < 32 || (c > 126 && c < 161)) return false;
    if (c == ' ' && i > 0 && k[i - 1] == ' ') return false;
  }
  return true;
}

// Inflates zlib data, refusing output beyond `maxOut` (a 1 KB chunk can expand to gigabytes).
Result<std::string> inflateCapped(const uint8_t* data, size_t size, size_t maxOut) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return makeError(ErrorKind::Internal, "zlib inflateInit failed");
  std::string out;
  char buf[16384];
  zs.next_in = const_cast<Bytef*>(data);
  zs.avail_in = static_cast<uInt>(size);  // text chunks are capped far below 4 GiB
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return makeError(ErrorKind::BadInput, rc == Z_BUF_ERROR ? "compressed text is cut short" : "compressed text is damaged");
    }
    const size_t produced = sizeof(buf) - zs.avail_out;
    if (out.size() + produced > maxOut) {
      inflateEnd(&zs);
      return makeError(ErrorKind::BadInput, "compressed text inflates beyond " + std::to_string(maxOut) + " bytes");
    }
    out.append(buf, produced);
    if (rc == Z_OK && produced == 0 && zs.avail_in == 0) {
      inflateEnd(&zs);
      return makeError(ErrorKind::BadInput, "compressed text is cut short");
    }
  }
  inflateEnd(&zs);
  return out;
}

Result<std::string> deflateText(const std::string& text) {
  uLongf bound = compressBound(static_cast<uLong>(text.size()));
  std::string out(bound, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &bound, reinterpret_cast<const Bytef*>(text.data()),
                static_cast<uLong>(text.size()), Z_BEST_COMPRESSION) != Z_OK)
    return makeError(ErrorKind::Internal, "zlib could not compress the metadata");
  out.resize(bound);
  return out;
}

// Parses one text chunk's data. `type` is "tEXt", "zTXt" or "iTXt".
Result<PngTextEntry> parseTextChunk(const std::string& type, const uint8_t* d, size_t n, const PngTextLimits& limits) {
  const uint8_t* nul = static_cast<const uint8_t*>(std::memchr(d, 0, n));
  if (!nul) return makeError(ErrorKind::BadInput, "no keyword terminator");
  PngTextEntry e;
  e.keyword = latin1ToUtf8(std::string(reinterpret_cast<const char*>(d), size_t(nul - d)));
  if (!validKeyword(std::string(reinterpret_cast<const char*>(d), size_t(nul - d))))
    return makeError(ErrorKind::BadInput, "invalid keyword");
  size_t pos = size_t(nul - d) + 1;
  if (type == "tEXt") {
    e.international = false;
    e.text = latin1ToUtf8(std::string(reinterpret_cast<const char*>(d + pos), n - pos));
    return e;
  }
  if (type == "zTXt") {
    if (pos >= n) return makeError(ErrorKind::BadInput, "no compression method");
    if (d[pos] != 0) return makeError(ErrorKind::BadInput, "unknown compression method " + std::to_string(d[pos]));
    auto text = inflateCapped(d + pos + 1, n - pos - 1, limits.maxTextBytes);
    if (!text.ok()) return text.error();
    e.international = false;
    e.text = latin1ToUtf8(*text);
    return e;
  }
  // iTXt: compression flag, method, language tag\0, translated keyword\0, text.
  if (n - pos < 2) return makeError(ErrorKind::BadInput, "no compression flag");
  const uint8_t flag = d[pos], method = d[pos + 1];
  pos += 2;
  if (flag > 1) return makeError(ErrorKind::BadInput, "compression flag " + std::to_string(flag) + " is neither 0 nor 1");
  if (flag == 1 && method != 0) return makeError(ErrorKind::BadInput, "unknown compression method " + std::to_string(method));
  for (int field = 0; field < 2; ++field) {  // language tag, translated keyword: not used here
    const void* end = std::memchr(d + pos, 0, n - pos);
    if (!end) return makeError(ErrorKind::BadInput, field == 0 ? "no language tag terminator" : "no translated keyword terminator");
    pos = size_t(static_cast<const uint8_t*>(end) - d) + 1;
  }
  if (flag == 1) {
    auto text = inflateCapped(d + pos, n - pos, limits.maxTextBytes);
    if (!text.ok()) return text.error();
    e.text = std::move(*text);
  } else {
    if (n - pos > limits.maxTextBytes) return makeError(ErrorKind::BadInput, "text longer than the limit");
    e.text.assign(reinterpret_cast<const char*>(d + pos), n - pos);
  }
  return e;
}

bool isTextType(const std::string& t) { return t == "tEXt" || t == "zTXt" || t == "iTXt"; }

// Checks the signature and IHDR; returns the offset just after IHDR.
Result<size_t> checkHeader(const uint8_t* data, size_t size, const std::string& name) {
  if (!hasPngSignature(data, size)) return makeError(ErrorKind::BadInput, name + ": not a PNG file (no PNG signature)");
  if (size < 8 + 12 + 13) return makeError(ErrorKind::BadInput, name + ": truncated PNG (no complete IHDR chunk)");
  if (readU32(data + 8) != 13 || std::memcmp(data + 12, "IHDR", 4) != 0)
    return makeError(ErrorKind::BadInput, name + ": not a valid PNG (the first chunk is not a 13-byte IHDR)");
  if (pngCrc(data + 12, 4 + 13) != readU32(data + 12 + 4 + 13))
    return makeError(ErrorKind::BadInput, name + ": damaged PNG (IHDR CRC mismatch)");
  return size_t(8 + 12 + 13);
}

}  // namespace

uint32_t pngCrc(const uint8_t* data, size_t size, uint32_t crc) {
  const auto& table = crcTable();
  uint32_t c = crc ^ 0xffffffffu;
  for (size_t i = 0; i < size; ++i) c = table[(c ^ data[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

bool hasPngSignature(const uint8_t* data, size_t size) {
  return size >= sizeof(kSignature) && std::memcmp(data, kSignature, sizeof(kSignature)) == 0;
}

Result<PngTextReadout> readPngText(const uint8_t* data, size_t size, const std::string& name, const PngTextLimits& limits) {
  auto start = checkHeader(data, size, name);
  if (!start.ok()) return start.error();
  PngTextReadout out;
  size_t pos = *start;
  size_t textChunks = 0;
  while (true) {
    const std::string at = "chunk at byte " + std::to_string(pos);
    if (pos == size) {
      out.notes.push_back(name + ": the file ends without an IEND chunk (truncated?)");
      break;
    }
    if (size - pos < 12) {
      out.notes.push_back(name + ": " + at + " is truncated (" + std::to_string(size - pos) + " bytes left)");
      break;
    }
    const uint32_t length = readU32(data + pos);
    const std::string type(reinterpret_cast<const char*>(data + pos + 4), 4);
    if (length > kMaxChunkLength) {
      out.notes.push_back(name + ": " + at + " declares " + std::to_string(length) +
                          " bytes, over PNG's 2^31-1 limit; the rest of the file is not read");
      break;
    }
    if (size_t(length) > size - pos - 12) {
      out.notes.push_back(name + ": " + at + " (" + (isTextType(type) ? type : std::string("data")) + ") declares " +
                          std::to_string(length) + " bytes but only " + std::to_string(size - pos - 12) +
                          " are left (truncated file)");
      break;
    }
    const uint8_t* body = data + pos + 8;
    if (type == "IEND") break;
    if (isTextType(type)) {
      if (++textChunks > limits.maxTextChunks) {
        out.notes.push_back(name + ": more than " + std::to_string(limits.maxTextChunks) + " text chunks; the rest are ignored");
        break;
      }
      if (length > limits.maxChunkBytes) {
        out.notes.push_back(name + ": " + type + " " + at + " is " + std::to_string(length) + " bytes, over the " +
                            std::to_string(limits.maxChunkBytes) + "-byte limit; skipped");
      } else if (pngCrc(data + pos + 4, 4 + size_t(length)) != readU32(body + length)) {
        out.notes.push_back(name + ": " + type + " " + at + " is damaged (CRC mismatch); skipped");
      } else {
        auto entry = parseTextChunk(type, body, length, limits);
        if (entry.ok()) out.entries.push_back(std::move(*entry));
        else out.notes.push_back(name + ": " + type + " " + at + " is malformed (" + entry.error().message + "); skipped");
      }
    }
    pos += 12 + size_t(length);
  }
  return out;
}

Result<PngTextReadout> readPngTextFile(const std::string& path, const PngTextLimits& limits) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return makeError(ErrorKind::BadInput, path + ": file not found");
  const auto size = fs::file_size(path, ec);
  if (ec) return makeError(ErrorKind::Io, path + ": cannot read the file size (" + ec.message() + ")");
  if (size == 0) return makeError(ErrorKind::BadInput, path + ": the file is empty");
  if (size > limits.maxFileBytes)
    return makeError(ErrorKind::BadInput, path + ": " + std::to_string(size) + " bytes, over the " +
                                              std::to_string(limits.maxFileBytes) + "-byte limit for reading metadata");
  std::ifstream in(path, std::ios::binary);
  std::string bytes(size_t(size), '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size)))
    return makeError(ErrorKind::Io, path + ": could not read the file");
  return readPngText(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path, limits);
}

Result<std::string> insertPngText(const std::string& png, const std::vector<PngTextEntry>& entries, bool compress) {
  const auto* data = reinterpret_cast<const uint8_t*>(png.data());
  auto start = checkHeader(data, png.size(), "PNG data");
  if (!start.ok()) return start.error();
  std::string out(png, 0, *start);
  std::vector<std::string> replaced;
  for (const PngTextEntry& e : entries) {
    if (!validKeyword(e.keyword)) return makeError(ErrorKind::Internal, "invalid PNG text keyword '" + e.keyword + "'");
    replaced.push_back(e.keyword);
    std::string chunk;
    if (!e.international && isAscii(e.text)) {
      chunk = "tEXt" + e.keyword + '\0' + e.text;
    } else {
      std::string body = e.text;
      if (compress) {
        auto z = deflateText(e.text);
        if (!z.ok()) return z.error();
        body = std::move(*z);
      }
      chunk = "iTXt" + e.keyword + '\0' + char(compress ? 1 : 0) + '\0' + '\0' + '\0' + body;
    }
    if (chunk.size() - 4 > kMaxChunkLength) return makeError(ErrorKind::Internal, "PNG text for '" + e.keyword + "' is too large");
    appendU32(out, uint32_t(chunk.size() - 4));
    out += chunk;
    appendU32(out, pngCrc(reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size()));
  }
  // Copy the remaining chunks, leaving out older text chunks under the keywords just written.
  size_t pos = *start;
  while (pos < png.size()) {
    if (png.size() - pos < 12) return makeError(ErrorKind::BadInput, "PNG data: truncated chunk at byte " + std::to_string(pos));
    const uint32_t length = readU32(data + pos);
    if (length > kMaxChunkLength || size_t(length) > png.size() - pos - 12)
      return makeError(ErrorKind::BadInput, "PNG data: chunk at byte " + std::to_string(pos) + " runs past the end");
    const std::string type(png, pos + 4, 4);
    bool drop = false;
    if (isTextType(type)) {
      const uint8_t* body = data + pos + 8;
      const void* nul = std::memchr(body, 0, length);
      if (nul) {
        const std::string keyword(reinterpret_cast<const char*>(body), size_t(static_cast<const uint8_t*>(nul) - body));
        for (const auto& k : replaced) drop |= (k == keyword);
      }
    }
    if (!drop) out.append(png, pos, 12 + size_t(length));
    pos += 12 + size_t(length);
    if (type == "IEND") break;
  }
  return out;
}

}  // namespace ns::media
