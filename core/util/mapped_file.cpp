#include "core/util/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ns {

Result<std::shared_ptr<MappedFile>> MappedFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return makeError(ErrorKind::Io, path + ": cannot open file (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return makeError(ErrorKind::Io, path + ": not a regular file");
  }
  std::shared_ptr<MappedFile> m(new MappedFile());
  m->m_size = size_t(st.st_size);
  if (m->m_size > 0) {
    void* addr = ::mmap(nullptr, m->m_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    const int mapErrno = errno;
    ::close(fd);
    if (addr == MAP_FAILED) return makeError(ErrorKind::Io, path + ": cannot map file (" + std::strerror(mapErrno) + ")");
    m->m_data = static_cast<char*>(addr);
  } else {
    ::close(fd);
  }
  return m;
}

MappedFile::~MappedFile() {
  if (m_data) ::munmap(m_data, m_size);
}

}  // namespace ns
