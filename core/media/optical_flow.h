#pragma once
// Dense optical flow between video frames (OpenCV DIS or Farnebäck), for noise warping of real
// footage. Output follows the NoiseWarper convention: forward flow [2,H,W] in pixels, content at p
// in frame k moves to p + F(p) in frame k+1.

#include <ATen/core/Tensor.h>

namespace ns::media {

enum class FlowMethod {
  Invalid = 0,
  DisUltrafast,  // ~3 ms at 512² (2 threads)
  DisFast,       // ~6 ms
  DisMedium,     // ~27 ms, 0.09 px error: the default
  Farneback,     // ~60 ms, 0.38 px error
};

// a, b: [3,H,W] in [-1,1]. Returns [2,H,W] float.
at::Tensor computeFlow(const at::Tensor& a, const at::Tensor& b, FlowMethod method = FlowMethod::DisMedium);
// frames [F,3,H,W] -> [F-1,2,H,W].
at::Tensor computeFlowSequence(const at::Tensor& frames, FlowMethod method = FlowMethod::DisMedium);

}  // namespace ns::media
