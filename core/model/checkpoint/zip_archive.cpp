#include "core/model/checkpoint/zip_archive.h"

#include <algorithm>
#include <limits>
#include <string_view>

namespace ns {
namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEocdSig = 0x06054b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50;
constexpr size_t kEocdSize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kZip64EocdSize = 56;
constexpr size_t kCentralSize = 46;
constexpr size_t kLocalSize = 30;
constexpr uint16_t kZip64ExtraId = 0x0001;

// Little-endian reads at an offset the caller has bounds-checked.
uint16_t le16(const uint8_t* p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t le32(const uint8_t* p) { return uint32_t(le16(p)) | (uint32_t(le16(p + 2)) << 16); }
uint64_t le64(const uint8_t* p) { return uint64_t(le32(p)) | (uint64_t(le32(p + 4)) << 32); }

// [offset, offset + length) lies inside a buffer of `size` bytes (no overflow).
bool fits(uint64_t offset, uint64_t length, uint64_t size) { return offset <= size && length <= size - offset; }

Error bad(const std::string& file, const std::string& what) {
  return makeError(ErrorKind::BadInput, file + ": not a readable zip archive: " + what);
}
Error badEntry(const std::string& file, const std::string& entry, const std::string& what) {
  return makeError(ErrorKind::BadInput, file + ": zip entry '" + entry + "': " + what);
}

struct Directory {
  uint64_t entries = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
};

// Finds the end-of-central-directory record (and the zip64 record it points to when present).
Result<Directory> readDirectoryLocation(const uint8_t* data, size_t size, const std::string& file) {
  if (size < kEocdSize) return bad(file, "file is " + std::to_string(size) + " bytes, shorter than a zip end record");
  // The record is followed only by a comment of at most 65535 bytes: search backwards over that.
  const size_t lowest = size - kEocdSize > 0xFFFF ? size - kEocdSize - 0xFFFF : 0;
  size_t eocd = size - kEocdSize;
  for (;; --eocd) {
    if (le32(data + eocd) == kEocdSig && eocd + kEocdSize + le16(data + eocd + 20) == size) break;
    if (eocd == lowest) return bad(file, "no end-of-central-directory record (truncated or not a zip file)");
  }
  const uint8_t* e = data + eocd;
  const uint16_t disk = le16(e + 4), cdDisk = le16(e + 6);
  Directory dir{le16(e + 10), le32(e + 16), le32(e + 12)};
  const bool onDisk = le16(e + 8) == le16(e + 10);
  const bool hasLocator = eocd >= kZip64LocatorSize && le32(e - kZip64LocatorSize) == kZip64LocatorSig;
  if (hasLocator) {
    const uint8_t* loc = e - kZip64LocatorSize;
    const uint64_t recordAt = le64(loc + 8);
    if (le32(loc + 4) != 0 || le32(loc + 16) > 1) return bad(file, "archive spans several disks");
    if (!fits(recordAt, kZip64EocdSize, eocd - kZip64LocatorSize))
      return bad(file, "zip64 end record offset " + std::to_string(recordAt) + " is outside the file");
    const uint8_t* z = data + recordAt;
    if (le32(z) != kZip64EocdSig) return bad(file, "zip64 locator does not point at a zip64 end record");
    if (le32(z + 16) != 0 || le32(z + 20) != 0) return bad(file, "archive spans several disks");
    if (le64(z + 24) != le64(z + 32)) return bad(file, "zip64 end record: entry counts disagree");
    dir = Directory{le64(z + 32), le64(z + 48), le64(z + 40)};
  } else {
    const bool needs64 = le16(e + 10) == 0xFFFF || le32(e + 12) == 0xFFFFFFFF || le32(e + 16) == 0xFFFFFFFF;
    if (needs64) return bad(file, "end record needs a zip64 record, but there is none");
    if (disk != 0 || cdDisk != 0 || !onDisk) return bad(file, "archive spans several disks");
  }
  if (!fits(dir.offset, dir.size, size))
    return bad(file, "central directory (" + std::to_string(dir.size) + " bytes at " + std::to_string(dir.offset) +
                         ") is outside the " + std::to_string(size) + "-byte file");
  // Each entry takes at least kCentralSize bytes: a count beyond that is a lie, refused before reserving.
  if (dir.entries > dir.size / kCentralSize)
    return bad(file, std::to_string(dir.entries) + " entries cannot fit in a " + std::to_string(dir.size) +
                         "-byte central directory");
  return dir;
}

// Replaces the 0xFFFFFFFF placeholders of a central entry by the values of its zip64 extra field
// (present in this order, each only when its placeholder is set: size, compressed size, offset).
Result<void> applyZip64Extra(const uint8_t* extra, size_t extraLen, bool needSize, bool needCsize, bool needOffset,
                             uint64_t& usize, uint64_t& csize, uint64_t& offset, const std::string& file,
                             const std::string& name) {
  size_t at = 0;
  while (at + 4 <= extraLen) {
    const uint16_t id = le16(extra + at), len = le16(extra + at + 2);
    if (len > extraLen - at - 4) return badEntry(file, name, "extra field runs past its entry");
    if (id == kZip64ExtraId) {
      const uint8_t* f = extra + at + 4;
      size_t left = len;
      auto take = [&](uint64_t& v) {
        if (left < 8) return false;
        v = le64(f);
        f += 8;
        left -= 8;
        return true;
      };
      if ((needSize && !take(usize)) || (needCsize && !take(csize)) || (needOffset && !take(offset)))
        return badEntry(file, name, "zip64 extra field is too short for the sizes it must carry");
      return {};
    }
    at += 4 + size_t(len);
  }
  if (needSize || needCsize || needOffset) return badEntry(file, name, "sizes need a zip64 extra field, but there is none");
  return {};
}

}  // namespace

Result<ZipArchive> ZipArchive::open(const uint8_t* data, size_t size, const std::string& file) {
  auto dir = readDirectoryLocation(data, size, file);
  if (!dir.ok()) return dir.error();
  ZipArchive out;
  out.m_entries.reserve(size_t(dir->entries));
  uint64_t at = dir->offset;
  const uint64_t end = dir->offset + dir->size;
  for (uint64_t i = 0; i < dir->entries; ++i) {
    if (!fits(at, kCentralSize, end))
      return bad(file, "central directory entry " + std::to_string(i) + " runs past the directory");
    const uint8_t* c = data + at;
    if (le32(c) != kCentralSig) return bad(file, "central directory entry " + std::to_string(i) + " has a bad signature");
    const uint16_t flags = le16(c + 8), method = le16(c + 10);
    uint64_t csize = le32(c + 20), usize = le32(c + 24), offset = le32(c + 42);
    const size_t nameLen = le16(c + 28), extraLen = le16(c + 30), commentLen = le16(c + 32);
    const uint16_t diskStart = le16(c + 34);
    const uint64_t entrySize = kCentralSize + nameLen + extraLen + commentLen;
    if (!fits(at, entrySize, end))
      return bad(file, "central directory entry " + std::to_string(i) + " runs past the directory");
    std::string name(reinterpret_cast<const char*>(c + kCentralSize), nameLen);
    if (name.empty()) return bad(file, "central directory entry " + std::to_string(i) + " has an empty name");
    auto z64 = applyZip64Extra(c + kCentralSize + nameLen, extraLen, usize == 0xFFFFFFFF, csize == 0xFFFFFFFF,
                               offset == 0xFFFFFFFF, usize, csize, offset, file, name);
    if (!z64.ok()) return z64.error();
    if (diskStart != 0 && diskStart != 0xFFFF) return badEntry(file, name, "entry is on another disk");
    if (flags & 0x1) return badEntry(file, name, "entry is encrypted");
    if (method != 0)
      return badEntry(file, name, "entry is compressed (method " + std::to_string(method) +
                                      "); torch.save writes stored entries only");
    if (csize != usize)
      return badEntry(file, name, "stored entry has compressed size " + std::to_string(csize) +
                                      " != size " + std::to_string(usize));
    // The local header: its own name and extra lengths decide where the data starts.
    if (!fits(offset, kLocalSize, size)) return badEntry(file, name, "local header offset is outside the file");
    const uint8_t* l = data + offset;
    if (le32(l) != kLocalSig) return badEntry(file, name, "local header has a bad signature");
    if (le16(l + 8) != method) return badEntry(file, name, "local header and central directory disagree on compression");
    const size_t localName = le16(l + 26), localExtra = le16(l + 28);
    if (!fits(offset + kLocalSize, localName, size) ||
        std::string_view(reinterpret_cast<const char*>(l + kLocalSize), localName) != name)
      return badEntry(file, name, "local header names a different entry");
    const uint64_t dataOffset = offset + kLocalSize + localName + localExtra;
    if (!fits(dataOffset, usize, size))
      return badEntry(file, name, std::to_string(usize) + " bytes of data at offset " + std::to_string(dataOffset) +
                                      " run past the end of the " + std::to_string(size) + "-byte file (truncated?)");
    // Data must not reach into the central directory, which follows all entries.
    if (dataOffset + usize > dir->offset) return badEntry(file, name, "data overlaps the central directory");
    if (!out.m_byName.emplace(name, out.m_entries.size()).second) return badEntry(file, name, "name appears twice");
    out.m_entries.push_back(ZipEntry{std::move(name), dataOffset, usize});
    at += entrySize;
  }
  return out;
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto it = m_byName.find(name);
  return it == m_byName.end() ? nullptr : &m_entries[it->second];
}

}  // namespace ns
