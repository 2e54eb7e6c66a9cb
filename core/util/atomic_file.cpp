#include "core/util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ns {
namespace {

std::string sysError() { return std::strerror(errno); }

Error ioError(const std::string& path, const std::string& what) {
  return makeError(ErrorKind::Io, path + ": " + what + " (" + sysError() + ")");
}

// Writes all bytes, retrying on short writes and EINTR.
bool writeAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= size_t(n);
  }
  return true;
}

// The rename is only durable once the folder entry is on disk too.
void syncFolder(const std::string& path) {
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty()) folder = ".";
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// Keeps the current file as .bak without ever removing `path`: a hard link shares the old
// inode, which the rename then detaches from `path`. Filesystems without links get a copy. The
// link (or copy) is made under a temp name and renamed over the old .bak, so a crash at any point
// leaves a whole backup (the previous or the new one), never none or half of one.
Result<void> keepBackup(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};  // nothing to back up yet
  const std::string bak = backupPath(path);
  const std::string bakTmp = atomicTempPath(bak);
  ::unlink(bakTmp.c_str());  // a leftover of an interrupted save
  if (::link(path.c_str(), bakTmp.c_str()) != 0) {
    std::error_code ec;
    std::filesystem::copy_file(path, bakTmp, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) {
      ::unlink(bakTmp.c_str());
      return makeError(ErrorKind::Io, bak + ": could not keep a backup (" + ec.message() + ")");
    }
  }
  if (::rename(bakTmp.c_str(), bak.c_str()) != 0) {
    Error e = ioError(bak, "could not keep a backup");
    ::unlink(bakTmp.c_str());
    return e;
  }
  return {};
}

}  // namespace

std::string atomicTempPath(const std::string& path) { return path + ".tmp"; }
std::string backupPath(const std::string& path) { return path + ".bak"; }

Result<void> writeFileAtomic(const std::string& path, const std::string& bytes, BackupMode backup) {
  if (path.empty()) return makeError(ErrorKind::BadInput, "writeFileAtomic: empty file name");
  const std::string tmp = atomicTempPath(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ioError(tmp, "could not create the temporary file");
  if (!writeAll(fd, bytes.data(), bytes.size())) {
    Error e = ioError(tmp, "could not write");
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  }
  if (::fsync(fd) != 0) {
    Error e = ioError(tmp, "could not flush to disk");
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  }
  ::close(fd);
  if (backup == BackupMode::KeepOne) {
    Result<void> b = keepBackup(path);
    if (!b.ok()) {
      ::unlink(tmp.c_str());
      return b;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = ioError(path, "could not replace the file with " + tmp);
    ::unlink(tmp.c_str());
    return e;
  }
  syncFolder(path);
  return {};
}

Result<std::string> readFileBytes(const std::string& path, size_t maxBytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return makeError(ErrorKind::BadInput, path + ": file not found");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return makeError(ErrorKind::Io, path + ": could not read its size (" + ec.message() + ")");
  if (size > maxBytes)
    return makeError(ErrorKind::BadInput, path + ": file is " + std::to_string(size) + " bytes, more than the " +
                                              std::to_string(maxBytes) + " allowed");
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(ErrorKind::Io, path + ": could not open for reading");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return makeError(ErrorKind::Io, path + ": read failed");
  return ss.str();
}

}  // namespace ns
