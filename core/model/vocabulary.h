#pragma once
// Vocabulary of the built-in model: the fixed word list captions are made of. Token 0 is
// padding/unconditional, 1 is "<unk>". Prompts are lower-cased, split on spaces and punctuation.

#include <string>
#include <vector>

#include "core/model/scene.h"

namespace ns {

class Vocabulary {
 public:
  static const std::vector<std::string>& colours();      // at least 8: red, orange, yellow, green, blue, purple, pink, white, black, brown...
  static const std::vector<std::string>& shapes();       // at least: ball, box, star, ring, triangle, heart
  static const std::vector<std::string>& backgrounds();  // at least: sky, grass, sea, desert, night, snow, room
  static const std::vector<std::string>& words();        // every token, index = token id (0 "<pad>", 1 "<unk>")
  static constexpr int kMaxTokens = 16;                  // captions are padded/truncated to this

  // "a red ball and a blue box on grass" (objects in spec order, "and" between them).
  static std::string caption(const SceneSpec& spec);
  // Token ids, padded with 0 to kMaxTokens. Unknown words become 1 and are listed in `unknown`.
  static std::vector<int64_t> tokenize(const std::string& prompt, std::vector<std::string>* unknown = nullptr);
  // Best-effort parse of a prompt into objects/background (used by evaluation and the verifier):
  // each "<colour> <shape>" pair in order, and the word after "on"/"in" as background.
  static SceneSpec parse(const std::string& prompt);
  static int indexOf(const std::vector<std::string>& list, const std::string& word);  // -1 if absent
};

}  // namespace ns
