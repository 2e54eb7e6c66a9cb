#pragma once
// The denoiser a verb runs on a clip held as frames [F,C,h,w] (framesDenoiserFor in
// core/model/clip_frames_denoiser.h), with bad context-window settings — an overlap not below the
// length, a window longer than the motion module's position table — returned as a BadInput error
// for a person (exit 2 on the command line) before any work, instead of a model failure midway.
// Thread: the caller's (the model thread).

#include <cstdint>
#include <memory>

#include "core/model/context_windows.h"
#include "core/model/denoiser.h"
#include "core/util/result.h"

namespace ns::engine {

Result<std::shared_ptr<Denoiser>> clipDenoiserFor(const std::shared_ptr<Denoiser>& model, int64_t frames,
                                                  const ContextWindowOptions& windows, WindowFusion fusion);

}  // namespace ns::engine
