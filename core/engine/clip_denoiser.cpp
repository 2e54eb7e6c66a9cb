#include "core/engine/clip_denoiser.h"

#include <exception>
#include <string>

#include "core/model/clip_frames_denoiser.h"

namespace ns::engine {

Result<std::shared_ptr<Denoiser>> clipDenoiserFor(const std::shared_ptr<Denoiser>& model, int64_t frames,
                                                  const ContextWindowOptions& windows, WindowFusion fusion) {
  try {
    return framesDenoiserFor(model, frames, windows, fusion);
  } catch (const std::exception& e) {  // c10::Error: the settings, named by the window code
    std::string msg = e.what();
    if (const auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);  // no C++ stack trace
    return makeError(ErrorKind::BadInput, msg);
  }
}

}  // namespace ns::engine
