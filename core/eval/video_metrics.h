#pragma once
// Temporal metrics of a rendered clip against its plan (issue 16 item 6, `eval video`):
//  - flicker: how far each frame is from the previous frame carried along the sketch's exact
//    flow. For every pixel p of frame k whose content is still visible in frame k+1 (the
//    sketch's occlusion mask is 0 there), |frame_{k+1}(p + flow_k(p)) - frame_k(p)|, sampled
//    bilinearly, averaged over RGB in [0,1] units. A clip whose content moves exactly as planned
//    scores 0; per-frame noise raises it. Reported over all such pixels and split by what the
//    sketch shows at p in frame k (an object or the background), because a still background
//    and a moving object flicker for different reasons.
//  - identity: whether an object keeps its colour and shape from the first to the last frame,
//    by the built-in shapes classifier (ShapesVerifier) on a crop around the object's planned
//    box in both frames: 1 when colour and shape predictions agree, 0 otherwise, averaged over
//    objects.
// Flow convention (sketch_renderer.h): flow[k] at p takes the content at p in frame k to
// p + flow[k](p) in frame k+1.
// Thread: stateless functions; identityAgreement uses the verifier (the model thread's).

#include <ATen/core/Tensor.h>

#include <vector>

#include "core/model/scene.h"

namespace ns {

class ShapesVerifier;

struct FlickerScore {
  double all = 0;         // mean over every visible-in-next-frame pixel of every frame pair
  double object = 0;      // over pixels showing an object in frame k (0 when there are none)
  double background = 0;  // over background pixels
  int64_t objectPixels = 0, backgroundPixels = 0;  // pixel counts (per frame pair, summed)
};

// frames [F,3,H,W] in [-1,1]; flow [F-1,2,H,W] in pixels; occlusion [F-1,1,H,W] (1 = hidden in
// frame k+1) or undefined (nothing occluded); objectIndex [F,H,W] (>= 0 object, -1 background)
// or undefined (everything background). Targets outside the canvas are skipped. F < 2 scores 0.
// Throws c10::Error on mismatched shapes.
FlickerScore temporalFlicker(const at::Tensor& frames, const at::Tensor& flow, const at::Tensor& occlusion,
                             const at::Tensor& objectIndex);

// Crop of image [3,H,W] around `box` grown by `margin` of its size on each side (clamped to the
// image), at least 4x4 pixels.
at::Tensor cropAround(const at::Tensor& image, const NormBox& box, float margin = 0.2f);

// Fraction of objects whose classified (colour, shape) in a crop around their box in `first`
// equals that in `last`. firstBoxes[i] and lastBoxes[i] are object i's planned boxes in the two
// frames ([3,H,W] in [-1,1]). No objects: 1 (nothing drifted).
double identityAgreement(ShapesVerifier& verifier, const at::Tensor& first, const at::Tensor& last,
                         const std::vector<NormBox>& firstBoxes, const std::vector<NormBox>& lastBoxes);

}  // namespace ns
