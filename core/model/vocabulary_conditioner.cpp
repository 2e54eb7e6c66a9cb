#include "core/model/vocabulary_conditioner.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include "core/model/vocabulary.h"

namespace ns {

Result<EncodedPrompt> VocabularyConditioner::encode(const std::string& prompt) {
  EncodedPrompt out;
  std::vector<int64_t> ids = Vocabulary::tokenize(prompt, &out.unknownWords);
  if (ids.empty()) return makeError(ErrorKind::Internal, "Vocabulary::tokenize returned no tokens");
  out.cond.context = at::tensor(ids, at::kLong).reshape({1, int64_t(ids.size())});
  if (!out.unknownWords.empty()) {
    std::string list;
    for (const auto& w : out.unknownWords) list += (list.empty() ? "" : ", ") + w;
    spdlog::warn("Prompt \"{}\": the built-in model does not know the word(s) {}", prompt, list);
  }
  return out;
}

}  // namespace ns
