#pragma once
// SketchRenderer: turns a Project into its "video sketch" (docs/algorithms.md §4.1): the background
// plus every object composited along its trajectory in z order, together with the exact motion
// of what it moved (the flow that NoiseWarper needs) and where that motion is occluded.
//
// Look: built-in shapes are drawn the way a user sketches — flat fill in the object's vocabulary
// colour (ScenePalette) with a darker outline, on the shapes-world silhouette (SceneShape) mapped
// onto the box, rotated about the box centre — not the shaded training style. Sprites (cut-outs,
// images with alpha) are resampled bilinearly into the rotated box and alpha-composited.
//
// Flow (docs/algorithms.md §2.1 convention): flow[k] at pixel p is the displacement in pixels that
// takes the content at p in frame k to its place in frame k+1. For a pixel showing object o it
// is computed analytically, p' = A_{k+1}(A_k^{-1}(p)), from the object's box and rotation in both
// frames; background pixels get 0. occlusion[k] is 1 where the pixel's content in frame k is not
// visible in frame k+1: it leaves the canvas, an object in front covers p', or (background)
// an object now covers it.
//
// Backgrounds: colour and gradient are drawn here. Image/video files and generated backgrounds
// come from the caller (core has no image codecs or model here) as SketchInputs::background; a
// provided background is always used, whatever the project's background kind.
//
// Thread safety: render() is const and uses no shared state; call it from any thread. Work is
// split over frames with at::parallel_for; results do not depend on the thread count.

#include <ATen/core/Tensor.h>

#include <map>
#include <string>
#include <vector>

#include "core/plan/project.h"
#include "core/plan/sprite.h"
#include "core/util/result.h"

namespace ns {

struct SketchInputs {
  // Optional background: [3,H,W] (a still) or [F',3,H,W] (video; frame k uses min(k, F'-1)),
  // float in [-1,1], any size (resized to the canvas).
  at::Tensor background;
  // Sprites of CutOut / ImageWithAlpha objects, by object id (required for those objects).
  std::map<std::string, Sprite> sprites;
};

struct SketchStyle {
  float outlinePx = -1.f;       // outline width in pixels; < 0 = max(1, min(W,H)/64)
  float outlineDarken = 0.55f;  // outline colour = fill × this
};

struct Sketch {
  at::Tensor frames;       // [F,3,H,W] float32 in [-1,1]
  at::Tensor flow;         // [F-1,2,H,W] float32, (dx, dy) in pixels
  at::Tensor occlusion;    // [F-1,1,H,W] float32 in {0,1}
  at::Tensor objectIndex;  // [F,H,W] int64: index into Project::objects of the front-most object
                           // with alpha >= 0.5 at the pixel, -1 for background
  std::vector<std::vector<Pose>> poses;  // [F][object index]: box and rotation in that frame
};

class SketchRenderer {
 public:
  explicit SketchRenderer(SketchStyle style = {}) : m_style(style) {}
  // Validates the project, then renders every frame. Errors name the field (e.g. a cut-out whose
  // sprite was not supplied) or the input tensor.
  Result<Sketch> render(const Project& project, const SketchInputs& inputs = {}) const;

 private:
  SketchStyle m_style;
};

}  // namespace ns
