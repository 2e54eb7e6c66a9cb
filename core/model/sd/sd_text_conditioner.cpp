#include "core/model/sd/sd_text_conditioner.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include "core/model/sd/html_unescape.h"

namespace ns::sd {

SdTextConditioner::SdTextConditioner(ClipTokenizer tokenizer, std::shared_ptr<const ClipTextModel> model, PadPolicy pad,
                                     int contextLength)
    : m_tokenizer(std::move(tokenizer)), m_model(std::move(model)), m_pad(pad), m_contextLength(contextLength) {}

ClipTokens SdTextConditioner::tokenize(const std::string& prompt) const {
  // CLIP's basic_clean unescapes HTML twice ("&amp;amp;" -> "&"); ClipTokenizer pads with
  // <|endoftext|> when given a negative id.
  return m_tokenizer.encode(unescapeHtml(unescapeHtml(prompt)), m_contextLength, m_pad == PadPolicy::Zero ? 0 : -1);
}

Result<EncodedPrompt> SdTextConditioner::encode(const std::string& prompt) {
  if (m_pad == PadPolicy::Invalid)
    return makeError(ErrorKind::Internal, m_model->source() + ": text conditioner built without a pad policy");
  const bool empty = prompt.empty();
  if (empty) {
    std::lock_guard<std::mutex> lock(m_cacheMutex);
    if (m_empty) return *m_empty;
  }
  ClipTokens tokens = tokenize(prompt);
  if (tokens.truncated)
    spdlog::warn("{}: prompt is longer than {} tokens; the rest is ignored: \"{}\"", m_model->source(), m_contextLength,
                 prompt);
  EncodedPrompt out;
  try {
    const at::Tensor ids = at::tensor(tokens.ids, at::kLong).reshape({1, m_contextLength});
    out.cond.context = m_model->forward(ids);
  } catch (const c10::Error& e) {
    return makeError(ErrorKind::Model, m_model->source() + ": text encoder failed: " + e.what_without_backtrace());
  }
  out.unknownWords = std::move(tokens.unknownPieces);
  if (empty) {
    std::lock_guard<std::mutex> lock(m_cacheMutex);
    m_empty = out;
  }
  return out;
}

}  // namespace ns::sd
