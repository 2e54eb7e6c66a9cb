#include "core/model/sd/html_unescape.h"

#include <cctype>
#include <cstdint>
#include <cstring>

namespace ns::sd {

namespace {

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

struct Named {
  const char* name;
  uint32_t cp;
  bool semicolonOptional;  // HTML5's legacy names that also match without ';'
};
const Named kNamed[] = {
    {"amp", '&', true},     {"lt", '<', true},      {"gt", '>', true},      {"quot", '"', true},
    {"nbsp", 0xA0, true},   {"copy", 0xA9, true},   {"reg", 0xAE, true},    {"apos", '\'', false},
};

// Numeric reference at text[i] == '&', text[i+1] == '#'. Returns the length consumed, 0 if none.
size_t numeric(const std::string& t, size_t i, std::string& out) {
  size_t j = i + 2;
  const bool hex = j < t.size() && (t[j] == 'x' || t[j] == 'X');
  if (hex) ++j;
  const size_t digits = j;
  uint64_t v = 0;
  while (j < t.size() && (hex ? std::isxdigit(static_cast<unsigned char>(t[j])) : std::isdigit(static_cast<unsigned char>(t[j])))) {
    const char c = char(std::tolower(static_cast<unsigned char>(t[j])));
    if (v <= 0x10FFFF) v = v * (hex ? 16 : 10) + uint64_t(c <= '9' ? c - '0' : c - 'a' + 10);
    ++j;
  }
  if (j == digits) return 0;
  if (j < t.size() && t[j] == ';') ++j;
  // Python maps 0, surrogates and out-of-range values to U+FFFD (and C1 controls through
  // Windows-1252, which prompts never contain; they pass through here).
  const uint32_t cp = (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) ? 0xFFFD : uint32_t(v);
  // ... and drops the references to ASCII control characters other than tab, newline, CR.
  const bool control = (cp >= 0x1 && cp <= 0x8) || cp == 0xB || (cp >= 0xE && cp <= 0x1F) || cp == 0x7F;
  if (!control) appendUtf8(out, cp);
  return j - i;
}

}  // namespace

std::string unescapeHtml(const std::string& t) {
  std::string out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size();) {
    if (t[i] != '&') {
      out += t[i++];
      continue;
    }
    size_t used = 0;
    if (i + 1 < t.size() && t[i + 1] == '#') {
      used = numeric(t, i, out);
    } else {
      for (const Named& n : kNamed) {
        const size_t len = std::strlen(n.name);
        if (t.compare(i + 1, len, n.name) != 0) continue;
        const bool semi = i + 1 + len < t.size() && t[i + 1 + len] == ';';
        if (!semi && !n.semicolonOptional) continue;
        appendUtf8(out, n.cp);
        used = 1 + len + (semi ? 1 : 0);
        break;
      }
    }
    if (used == 0) out += t[i++];
    else i += used;
  }
  return out;
}

}  // namespace ns::sd
