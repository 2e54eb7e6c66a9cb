#pragma once
// Cut-and-drag (DESIGN.md core/media): GrabCut segments the object inside a box on an image into
// an RGBA sprite; the hole it leaves is inpainted so the object can be dragged away.

#include <ATen/core/Tensor.h>

#include "core/model/scene.h"
#include "core/util/result.h"

namespace ns::media {

struct Cutout {
  at::Tensor sprite;      // [4,h,w] RGBA in [0,1] (RGB straight, not premultiplied), cropped to the box
  at::Tensor mask;        // [H,W] float {0,1} on the whole image
  at::Tensor background;  // [3,H,W] in [-1,1]: the image with the object's hole inpainted
  NormBox box;            // the box the sprite covers (the requested box clipped to the image)
};

// image [3,H,W] in [-1,1]; box normalised. iterations: GrabCut rounds (5 is plenty for sketches).
Result<Cutout> cutOutObject(const at::Tensor& image, const NormBox& box, int iterations = 5);

}  // namespace ns::media
