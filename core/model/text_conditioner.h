#pragma once
// TextConditioner: prompt -> Conditioning. Unknown words are reported, never silently dropped.

#include <string>
#include <vector>

#include "core/model/denoiser.h"
#include "core/util/result.h"

namespace ns {

struct EncodedPrompt {
  Conditioning cond;                      // batch 1
  std::vector<std::string> unknownWords;  // words the conditioner could not represent
};

class TextConditioner {
 public:
  virtual ~TextConditioner() = default;
  // Encodes one prompt (batch 1). "" gives the unconditional embedding.
  virtual Result<EncodedPrompt> encode(const std::string& prompt) = 0;
  Conditioning unconditional() { return encode("").value().cond; }
};

}  // namespace ns
