#pragma once
// Tensor <-> FrameBuffer conversions at the engine's edge: verbs hand plain-float FrameBuffers to
// the UI, which never sees tensors; the CLI and media code convert their tensors here too.

#include <ATen/core/Tensor.h>

#include "core/util/frame_buffer.h"

namespace ns {

// images [F,3,H,W] (or [3,H,W]) in [-1,1] -> Image FrameBuffer in [0,1].
FrameBuffer imagesToFrames(const at::Tensor& images);
// Image FrameBuffer in [0,1] -> [F,3,H,W] float in [-1,1] (CPU).
at::Tensor framesToImages(const FrameBuffer& frames);
// Any [F,C,H,W] tensor copied as-is with the given kind (Noise, Flow).
FrameBuffer tensorToFrames(const at::Tensor& t, FrameKind kind);
// Any FrameBuffer -> [F,C,H,W] float (CPU), values unchanged.
at::Tensor framesToTensor(const FrameBuffer& frames);

}  // namespace ns
