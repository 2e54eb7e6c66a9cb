#pragma once
// SdTextConditioner: Stable Diffusion's prompt encoder, a ClipTokenizer and a native ClipTextModel.
// encode(prompt): ids [1,77] -> ClipTextModel::forward -> Conditioning{context [1,77,D] float32, CPU}.
//   - Padding after <|endoftext|> follows the family: SD 1.x (transformers' CLIPTokenizer) repeats the
//     end token (49407 in the real vocabulary); SD 2.x (open_clip.tokenize) pads with id 0.
//   - HTML references are unescaped twice first, as CLIP's basic_clean does ("&amp;" -> "&";
//     see html_unescape.h).
//   - BPE tokens missing from the vocabulary are returned in unknownWords; a prompt cut at the
//     context length is logged as a warning.
//   - The empty prompt's embedding (the unconditional, asked for at every generation) is computed
//     once and reused.
// Thread: encode() may be called from several threads; the cache is guarded by a mutex.

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/model/clip_tokenizer.h"
#include "core/model/sd/clip_text_model.h"
#include "core/model/text_conditioner.h"

namespace ns::sd {

enum class PadPolicy {
  Invalid = 0,  // not chosen
  EndToken,     // pad with <|endoftext|> (SD 1.x)
  Zero,         // pad with id 0 (SD 2.x, OpenCLIP)
};

class SdTextConditioner final : public TextConditioner {
 public:
  SdTextConditioner(ClipTokenizer tokenizer, std::shared_ptr<const ClipTextModel> model, PadPolicy pad,
                    int contextLength = 77);
  Result<EncodedPrompt> encode(const std::string& prompt) override;

  // The ids encode() feeds the model (exactly contextLength of them), for diagnostics and tests.
  ClipTokens tokenize(const std::string& prompt) const;
  const ClipTextModel& model() const { return *m_model; }

 private:
  ClipTokenizer m_tokenizer;
  std::shared_ptr<const ClipTextModel> m_model;
  PadPolicy m_pad;
  int m_contextLength;
  std::mutex m_cacheMutex;
  std::optional<EncodedPrompt> m_empty;  // encode("") once computed
};

}  // namespace ns::sd
