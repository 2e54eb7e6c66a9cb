#pragma once
// Sprite: an RGBA picture of one object (a cut-out or an image with alpha) that the sketch
// renderer pastes along a trajectory. Holds [4,h,w] float32, contiguous, CPU, *straight* alpha,
// all channels in [0,1]. Images elsewhere in the engine are [-1,1]; the constructors convert.
//
// Value type (the tensor is shared between copies but never modified after construction).

#include <ATen/core/Tensor.h>

#include "core/model/scene.h"
#include "core/util/result.h"

namespace ns {

class Sprite {
 public:
  Sprite() = default;

  // From RGBA [4,h,w] in [0,1] (straight alpha), e.g. a PNG with alpha divided by 255.
  static Result<Sprite> fromRgba(const at::Tensor& rgba);
  // Cuts `box` (normalised) out of `image` [3,H,W] in [-1,1]. `mask` [H,W] or [1,H,W] in [0,1]
  // (e.g. from GrabCut) becomes the alpha; without a mask the whole box is opaque.
  static Result<Sprite> cutOut(const at::Tensor& image, const NormBox& box, const at::Tensor& mask = {});

  bool valid() const { return m_rgba.defined(); }
  const at::Tensor& rgba() const { return m_rgba; }
  int width() const { return valid() ? int(m_rgba.size(2)) : 0; }
  int height() const { return valid() ? int(m_rgba.size(1)) : 0; }

 private:
  explicit Sprite(at::Tensor rgba) : m_rgba(std::move(rgba)) {}
  at::Tensor m_rgba;
};

}  // namespace ns
