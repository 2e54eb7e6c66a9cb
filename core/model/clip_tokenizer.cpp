#include "core/model/clip_tokenizer.h"

#include <array>
#include <cctype>
#include <climits>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace ns {

namespace {

const char* kStart = "<|startoftext|>";
const char* kEnd = "<|endoftext|>";

std::string utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += char(cp);
  } else if (cp < 0x800) {
    s += char(0xC0 | (cp >> 6));
    s += char(0x80 | (cp & 0x3F));
  } else {
    s += char(0xE0 | (cp >> 12));
    s += char(0x80 | ((cp >> 6) & 0x3F));
    s += char(0x80 | (cp & 0x3F));
  }
  return s;
}

// CLIP's bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the other 68 bytes
// map to U+0100.. in byte order, so every byte has a visible, whitespace-free character.
const std::array<std::string, 256>& byteChars() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); };
    int n = 0;
    for (int b = 0; b < 256; ++b) t[size_t(b)] = utf8(printable(b) ? uint32_t(b) : uint32_t(256 + n++));
    return t;
  }();
  return table;
}

bool isSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool isDigit(unsigned char c) { return c >= '0' && c <= '9'; }
// Non-ASCII bytes (UTF-8 sequences) count as letters: most are in prompts (accents, CJK).
bool isLetter(unsigned char c) { return std::isalpha(c) || c >= 0x80; }

}  // namespace

Result<ClipTokenizer> ClipTokenizer::fromFiles(const std::string& vocabJson, const std::string& mergesTxt) {
  ClipTokenizer tok;
  {
    std::ifstream in(vocabJson);
    if (!in) return makeError(ErrorKind::Io, vocabJson + ": tokenizer vocabulary not found or unreadable");
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return makeError(ErrorKind::Model, vocabJson + ": not a JSON object of token -> id");
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!it.value().is_number_integer())
        return makeError(ErrorKind::Model, vocabJson + ": the id of token '" + it.key() + "' is not an integer");
      tok.m_vocab[it.key()] = it.value().get<int64_t>();
    }
  }
  auto s = tok.m_vocab.find(kStart), e = tok.m_vocab.find(kEnd);
  if (s == tok.m_vocab.end() || e == tok.m_vocab.end())
    return makeError(ErrorKind::Model, vocabJson + ": lacks the special tokens <|startoftext|> and <|endoftext|>");
  tok.m_start = s->second;
  tok.m_end = e->second;

  std::ifstream in(mergesTxt);
  if (!in) return makeError(ErrorKind::Io, mergesTxt + ": tokenizer merges not found or unreadable");
  std::string line;
  int lineNo = 0, rank = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (lineNo == 1 && line.rfind("#version", 0) == 0)) continue;
    std::istringstream ls(line);
    std::string a, b, extra;
    if (!(ls >> a >> b) || (ls >> extra))
      return makeError(ErrorKind::Model,
                       mergesTxt + ": line " + std::to_string(lineNo) + " is not a pair of tokens ('a b')");
    tok.m_ranks.emplace(std::make_pair(a, b), rank++);  // the first occurrence keeps its rank
  }
  if (rank == 0) return makeError(ErrorKind::Model, mergesTxt + ": holds no merges");
  return tok;
}

std::vector<std::string> ClipTokenizer::preTokenize(const std::string& raw) {
  // whitespace_clean + lower-case
  std::string text;
  bool pendingSpace = false;
  for (unsigned char c : raw) {
    if (isSpace(c)) {
      pendingSpace = !text.empty();
      continue;
    }
    if (pendingSpace) text += ' ';
    pendingSpace = false;
    text += char(c < 0x80 ? std::tolower(c) : c);
  }

  static const char* contractions[] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
  std::vector<std::string> pieces;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (isSpace(c)) {
      ++i;
      continue;
    }
    // Alternatives in the pattern's order: the first that matches at i wins.
    bool matched = false;
    for (const char* special : {kStart, kEnd}) {
      const std::string sp(special);
      if (text.compare(i, sp.size(), sp) == 0) {
        pieces.push_back(sp);
        i += sp.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    for (const char* con : contractions) {
      const std::string cs(con);
      if (text.compare(i, cs.size(), cs) == 0) {
        pieces.push_back(cs);
        i += cs.size();
        matched = true;
        break;
      }
    }
    if (matched) continue;
    size_t j = i;
    if (isLetter(c)) {
      while (j < n && isLetter(static_cast<unsigned char>(text[j]))) ++j;
    } else if (isDigit(c)) {
      j = i + 1;  // [\p{N}]: digits are single pieces
    } else {
      while (j < n) {
        const unsigned char d = static_cast<unsigned char>(text[j]);
        if (isSpace(d) || isLetter(d) || isDigit(d)) break;
        ++j;
      }
    }
    pieces.push_back(text.substr(i, j - i));
    i = j;
  }
  return pieces;
}

std::vector<std::string> ClipTokenizer::bpe(const std::string& piece) const {
  std::vector<std::string> word;
  for (unsigned char b : piece) word.push_back(byteChars()[b]);
  if (word.empty()) return word;
  word.back() += "</w>";
  while (word.size() > 1) {
    int best = INT_MAX;
    size_t at = 0;
    for (size_t k = 0; k + 1 < word.size(); ++k) {
      auto it = m_ranks.find({word[k], word[k + 1]});
      if (it != m_ranks.end() && it->second < best) {
        best = it->second;
        at = k;
      }
    }
    if (best == INT_MAX) break;
    // Merge every occurrence of the best pair, left to right (as the reference implementation does).
    const std::string a = word[at], b = word[at + 1];
    std::vector<std::string> next;
    for (size_t k = 0; k < word.size(); ++k) {
      if (k + 1 < word.size() && word[k] == a && word[k + 1] == b) {
        next.push_back(a + b);
        ++k;
      } else {
        next.push_back(word[k]);
      }
    }
    word.swap(next);
  }
  return word;
}

int64_t ClipTokenizer::idOf(const std::string& token) const {
  auto it = m_vocab.find(token);
  return it == m_vocab.end() ? -1 : it->second;
}

ClipTokens ClipTokenizer::encode(const std::string& text, int contextLength, int64_t padId) const {
  ClipTokens out;
  std::vector<int64_t> ids{m_start};
  for (const std::string& piece : preTokenize(text)) {
    if (piece == kStart || piece == kEnd) {
      ids.push_back(piece == kStart ? m_start : m_end);
      continue;
    }
    for (const std::string& tok : bpe(piece)) {
      auto it = m_vocab.find(tok);
      if (it == m_vocab.end()) out.unknownPieces.push_back(tok);
      else ids.push_back(it->second);
    }
  }
  const size_t len = size_t(std::max(contextLength, 2));
  if (ids.size() + 1 > len) {
    ids.resize(len - 1);
    out.truncated = true;
  }
  ids.push_back(m_end);
  ids.resize(len, padId < 0 ? m_end : padId);
  out.ids = std::move(ids);
  return out;
}

}  // namespace ns
