#pragma once
// DottedName: a parameter name split at its dots ("down_blocks.1.resnets.0.conv1.weight"), with
// the strict index parsing the layout tables need. Shared by the diffusers UNet and VAE name tables.

#include <string>
#include <vector>

namespace ns::sd {

class DottedName {
 public:
  explicit DottedName(const std::string& name) {
    size_t start = 0;
    for (;;) {
      const size_t dot = name.find('.', start);
      m_parts.push_back(name.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
  }
  size_t size() const { return m_parts.size(); }
  const std::string& operator[](size_t i) const { return m_parts[i]; }
  bool is(size_t i, const char* part) const { return i < m_parts.size() && m_parts[i] == part; }
  // Part i as a block index: decimal digits only, no sign, no leading zero, at most 4 digits
  // (names such as "down_blocks.01" or "resnets.-1" are not any layout's and must not alias one).
  int index(size_t i) const {
    if (i >= m_parts.size()) return -1;
    const std::string& p = m_parts[i];
    if (p.empty() || p.size() > 4 || (p.size() > 1 && p[0] == '0')) return -1;
    int v = 0;
    for (char c : p) {
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  }
  // Parts [from, end) joined with dots ("" when from >= size()).
  std::string tail(size_t from) const {
    std::string out;
    for (size_t i = from; i < m_parts.size(); ++i) {
      if (!out.empty()) out += '.';
      out += m_parts[i];
    }
    return out;
  }
  // The last part is "weight" or "bias" and exactly `count` parts precede it from `from`.
  bool leafAt(size_t from, size_t count) const {
    return m_parts.size() == from + count + 1 && (m_parts.back() == "weight" || m_parts.back() == "bias");
  }

 private:
  std::vector<std::string> m_parts;
};

}  // namespace ns::sd
