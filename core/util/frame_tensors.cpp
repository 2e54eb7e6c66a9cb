#include "core/util/frame_tensors.h"

#include <ATen/ATen.h>

#include <cstring>

namespace ns {

FrameBuffer tensorToFrames(const at::Tensor& tIn, FrameKind kind) {
  at::Tensor t = tIn.detach().to(at::kCPU).to(at::kFloat).contiguous();
  if (t.dim() == 3) t = t.unsqueeze(0);
  FrameBuffer fb;
  fb.kind = kind;
  fb.count = int(t.size(0));
  fb.channels = int(t.size(1));
  fb.height = int(t.size(2));
  fb.width = int(t.size(3));
  fb.data.resize(size_t(t.numel()));
  std::memcpy(fb.data.data(), t.data_ptr<float>(), fb.data.size() * sizeof(float));
  return fb;
}

at::Tensor framesToTensor(const FrameBuffer& fb) {
  if (fb.empty()) return at::Tensor();
  return at::from_blob(const_cast<float*>(fb.data.data()), {fb.count, fb.channels, fb.height, fb.width}, at::kFloat)
      .clone();
}

FrameBuffer imagesToFrames(const at::Tensor& images) {
  return tensorToFrames(images.detach().to(at::kFloat).add(1.0).mul(0.5).clamp(0.0, 1.0), FrameKind::Image);
}

at::Tensor framesToImages(const FrameBuffer& fb) {
  at::Tensor t = framesToTensor(fb);
  return t.defined() ? t.mul(2.0).sub(1.0) : t;
}

}  // namespace ns
