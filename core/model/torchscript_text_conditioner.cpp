#include "core/model/torchscript_text_conditioner.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

namespace ns {

TorchscriptTextConditioner::TorchscriptTextConditioner(std::shared_ptr<TorchscriptModule> encoder,
                                                       ClipTokenizer tokenizer, int contextLength, std::string device,
                                                       int64_t padId)
    : m_encoder(std::move(encoder)),
      m_tokenizer(std::move(tokenizer)),
      m_contextLength(contextLength),
      m_device(std::move(device)),
      m_padId(padId) {}

Result<EncodedPrompt> TorchscriptTextConditioner::encode(const std::string& prompt) {
  ClipTokens tokens = m_tokenizer.encode(prompt, m_contextLength, m_padId);
  if (tokens.truncated)
    spdlog::warn("prompt is longer than {} tokens; the rest is ignored: \"{}\"", m_contextLength, prompt);
  try {
    c10::InferenceMode guard;
    at::Tensor ids = at::tensor(tokens.ids, at::kLong).reshape({1, m_contextLength}).to(at::Device(m_device));
    at::Tensor emb = m_encoder->forward({ids});
    if (emb.dim() != 3 || emb.size(0) != 1 || emb.size(1) != m_contextLength)
      return makeError(ErrorKind::Model, m_encoder->file() + ": returned shape " + c10::str(emb.sizes()) +
                                             ", expected [1," + std::to_string(m_contextLength) + ",D]");
    EncodedPrompt out;
    out.cond.context = emb.to(at::kCPU, at::kFloat).contiguous();
    out.unknownWords = std::move(tokens.unknownPieces);
    return out;
  } catch (const c10::Error& e) {
    return makeError(ErrorKind::Model, m_encoder->file() + ": text encoder failed: " + e.what_without_backtrace());
  }
}

}  // namespace ns
