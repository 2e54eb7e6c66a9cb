#pragma once
// TorchscriptTextConditioner: a pack's CLIP text encoder (text_encoder.pt) with ClipTokenizer.
// encode(prompt): ids [1,contextLength] int64 -> text_encoder.forward(ids) -> embeddings [1,L,D]
// float, returned on the CPU (the denoiser moves them). BPE tokens missing from the vocabulary are
// reported in unknownWords; a truncated prompt is logged. Same thread contract as TextConditioner.

#include <memory>
#include <string>

#include "core/model/clip_tokenizer.h"
#include "core/model/text_conditioner.h"
#include "core/model/torchscript_module.h"

namespace ns {

class TorchscriptTextConditioner final : public TextConditioner {
 public:
  TorchscriptTextConditioner(std::shared_ptr<TorchscriptModule> encoder, ClipTokenizer tokenizer, int contextLength,
                             std::string device, int64_t padId = -1);
  Result<EncodedPrompt> encode(const std::string& prompt) override;

 private:
  std::shared_ptr<TorchscriptModule> m_encoder;
  ClipTokenizer m_tokenizer;
  int m_contextLength;
  std::string m_device;
  int64_t m_padId;
};

}  // namespace ns
