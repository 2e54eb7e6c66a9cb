#pragma once
// MappedFile: a whole regular file mapped copy-on-write (MAP_PRIVATE, PROT_READ|PROT_WRITE): tensors
// built as views of it are writable, and no write ever reaches the file. The checkpoint readers
// (mapSafetensors, readTorchCheckpoint) keep a shared_ptr to it in each tensor's deleter, so the
// mapping lives exactly as long as some tensor views it. Pages load on first touch.

#include <cstddef>
#include <memory>
#include <string>

#include "core/util/result.h"

namespace ns {

class MappedFile {
 public:
  // Errors (ErrorKind::Io) name the file: cannot open, not a regular file, cannot map. An empty
  // file maps to size() == 0 and data() == nullptr (the caller says what that means for its format).
  static Result<std::shared_ptr<MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  char* data() const { return m_data; }
  size_t size() const { return m_size; }

 private:
  MappedFile() = default;
  char* m_data = nullptr;
  size_t m_size = 0;
};

}  // namespace ns
