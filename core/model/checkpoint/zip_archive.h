#pragma once
// ZipArchive: the directory of a zip archive held in memory, as PyTorch's torch.save (>= 1.6) writes
// it: STORED entries only (torch never compresses), each local header padded so the data is 64-byte
// aligned, general-purpose bit 3 set (sizes in a data descriptor, zeros in the local header), and a
// zip64 end-of-central-directory record (torch 1.13 always writes one; entries past 4 GiB carry a
// zip64 extra field in the central directory).
//
// Reading: the end-of-central-directory record (searched backwards over a comment of up to 64 KiB),
// the zip64 locator/record when present, then every central directory entry and its local header.
// Sizes and offsets come from the central directory (the authoritative copy: with bit 3 the local
// header has zeros); the local header only gives the name and extra lengths, and its name must match.
// Everything is bounds-checked against the buffer before it is read; anything inconsistent,
// compressed, encrypted or split over several disks is refused with a message naming the archive and
// the entry. CRCs are not checked: the caller validates the content it uses, and hashing a 4 GB
// checkpoint would cost seconds of reading every page.
//
// The archive does not own the bytes: `data` must outlive it. No torch here (it is also used by the
// fuzz targets and costs nothing to compile).

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/util/result.h"

namespace ns {

struct ZipEntry {
  std::string name;
  uint64_t dataOffset = 0;  // from the start of the archive, first byte of the stored data
  uint64_t size = 0;        // bytes of stored data
};

class ZipArchive {
 public:
  // Parses the directory of the archive in [data, data + size). `nameForErrors` names it in messages.
  static Result<ZipArchive> open(const uint8_t* data, size_t size, const std::string& nameForErrors);

  const std::vector<ZipEntry>& entries() const { return m_entries; }
  // nullptr when the archive has no entry of that exact name.
  const ZipEntry* find(const std::string& name) const;

 private:
  std::vector<ZipEntry> m_entries;         // in central directory order
  std::map<std::string, size_t> m_byName;  // name -> index in m_entries
};

}  // namespace ns
