#pragma once
// VocabularyConditioner: the built-in model's TextConditioner. A prompt becomes token ids
// [1, Vocabulary::kMaxTokens] (int64, CPU; the denoiser moves them to its device) through
// Vocabulary::tokenize. Unknown words become <unk> and are listed in EncodedPrompt::unknownWords.
// "" gives the unconditional row (all padding). Stateless: safe from any thread.

#include "core/model/text_conditioner.h"

namespace ns {

class VocabularyConditioner final : public TextConditioner {
 public:
  Result<EncodedPrompt> encode(const std::string& prompt) override;
};

}  // namespace ns
