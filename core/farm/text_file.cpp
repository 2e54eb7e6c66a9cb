#include "core/farm/text_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace ns::farm {

Result<void> writeTextFile(const std::string& path, const std::string& text, unsigned mode) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return makeError(ErrorKind::Io, path + ": cannot write: " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return makeError(ErrorKind::Io, path + ": cannot write: " + why);
    }
    done += size_t(n);
  }
  ::fchmod(fd, mode);  // the umask must not take the x bit off a script
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return makeError(ErrorKind::Io, path + ": cannot write: " + why);
  }
  return {};
}

Result<std::string> readTextFile(const std::string& path, size_t maxBytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(ErrorKind::BadInput, path + ": cannot open: " + std::strerror(errno));
  std::string s;
  char buf[65536];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    s.append(buf, size_t(in.gcount()));
    if (s.size() > maxBytes) return makeError(ErrorKind::BadInput, path + ": larger than expected");
  }
  return s;
}

std::string tailOfFile(const std::string& path, int lines) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const std::streamoff size = in.tellg();
  const std::streamoff from = size > 65536 ? size - 65536 : 0;
  in.seekg(from);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Progress drawn with '\r' on a terminal reads as separate lines in a log.
  for (char& c : s)
    if (c == '\r') c = '\n';
  std::vector<std::string> all;
  std::istringstream lin(s);
  for (std::string l; std::getline(lin, l);)
    if (!l.empty()) all.push_back(l);
  std::string out;
  for (size_t i = all.size() > size_t(lines) ? all.size() - size_t(lines) : 0; i < all.size(); ++i)
    out += (out.empty() ? "" : "\n") + all[i];
  return out;
}

}  // namespace ns::farm
