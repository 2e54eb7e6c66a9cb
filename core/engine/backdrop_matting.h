#pragma once
// Backdrop matting: cuts the one object out of a picture that the model painted on a plain
// backdrop (Video-MSG's object cut-outs, docs/algorithms.md §4.1 step 6, without a detector).
//
// Why not GrabCut: core has no OpenCV, and the backdrop here is one we asked the model for, so
// "how far is this pixel's colour from the backdrop's" is already the signal GrabCut would learn.
//   1. backdrop colour per row = median of the left and right border bands (backdrops are
//      horizontal layers: a gradient sky, a horizon, a floor);
//   2. threshold τ from how much the border itself varies (textured backdrops get a higher τ);
//   3. object = the largest 4-connected region farther than τ from its row's backdrop colour,
//      with enclosed holes under 1/30 of its area filled (a highlight on a ball; a ring's hole
//      stays open);
//   4. soft edges: a boundary pixel's alpha is the coverage that mixes the object's colour nearby
//      with the backdrop's into what it shows; its colour is un-mixed from the backdrop (straight
//      alpha, no halo of backdrop colour when pasted on another background);
//   5. the result is cropped to the object's bounds, so a sprite fills the box it is pasted into.
// Pure ATen on the CPU; any thread.

#include <ATen/core/Tensor.h>

#include "core/model/scene.h"
#include "core/util/result.h"

namespace ns {

struct BackdropCutout {
  at::Tensor rgba;         // [4,h,w] float32 in [0,1], straight alpha, cropped to the object
  NormBox box;             // where the crop lies in the picture, normalised
  float threshold = 0;     // τ: colour distance (RGB in [0,1]) that separated object from backdrop
  float coverage = 0;      // object pixels (alpha ≥ 0.5) / picture pixels
};

// image: [3,H,W] in [-1,1] (H, W ≥ 8). Errors when nothing stands out from the backdrop or the
// "object" is the whole picture (the model ignored the backdrop).
Result<BackdropCutout> cutOutFromBackdrop(const at::Tensor& image);

// τ of a picture of the backdrop alone: how textured it is for the matting (lower is plainer).
float backdropThreshold(const at::Tensor& image);

}  // namespace ns
