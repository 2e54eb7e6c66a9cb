#pragma once
// ClipTokenizer: CLIP's byte-level BPE tokenizer (openai/CLIP simple_tokenizer.py, as Stable
// Diffusion uses it) from a pack's vocab.json (token -> id) and merges.txt (one "a b" pair per line,
// ranked by line; a leading "#version" line is skipped).
//
// encode(text): whitespace runs collapse to one space, the text is trimmed and lower-cased
// (ASCII), then split with CLIP's pattern, implemented by hand:
//   <|startoftext|> | <|endoftext|> | 's|'t|'re|'ve|'m|'ll|'d | letters+ | one digit | [^\s letters digits]+
// Each piece's UTF-8 bytes map to CLIP's printable byte characters, the last one gets "</w>", and
// BPE merges the lowest-ranked adjacent pair until none applies. The ids are wrapped in
// <|startoftext|> ... <|endoftext|> and padded with <|endoftext|> to contextLength (SD's padding);
// longer prompts are cut to contextLength−1 tokens + <|endoftext|> and say so in `truncated`.
// Differences from the Python original: no ftfy/html unescaping; non-ASCII characters count as
// letters (the original uses Unicode categories) and are not lower-cased.
// Thread: immutable after construction; encode() is safe from any thread.

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/util/result.h"

namespace ns {

struct ClipTokens {
  std::vector<int64_t> ids;                  // exactly contextLength ids
  std::vector<std::string> unknownPieces;    // BPE tokens missing from vocab.json (dropped)
  bool truncated = false;                    // the prompt did not fit and was cut
};

class ClipTokenizer {
 public:
  // Errors name the file (and line for merges.txt); ErrorKind::Io when a file is missing.
  static Result<ClipTokenizer> fromFiles(const std::string& vocabJson, const std::string& mergesTxt);

  // padId < 0 pads with <|endoftext|> (SD 1.x); SD 2.x pads with "!" (pass idOf("!")).
  ClipTokens encode(const std::string& text, int contextLength = 77, int64_t padId = -1) const;
  // Id of a vocabulary token, or -1.
  int64_t idOf(const std::string& token) const;
  // The pre-tokenised pieces (before BPE), for tests and diagnostics.
  static std::vector<std::string> preTokenize(const std::string& text);
  // BPE tokens of one piece (with "</w>" on the last), e.g. "hello" -> {"hel", "lo</w>"}.
  std::vector<std::string> bpe(const std::string& piece) const;

  int64_t startId() const { return m_start; }
  int64_t endId() const { return m_end; }
  size_t vocabSize() const { return m_vocab.size(); }

 private:
  std::unordered_map<std::string, int64_t> m_vocab;
  std::map<std::pair<std::string, std::string>, int> m_ranks;
  int64_t m_start = -1;
  int64_t m_end = -1;
};

}  // namespace ns
