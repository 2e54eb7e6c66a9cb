#pragma once
// FlowFields: analytic forward flows [2,H,W] (float32, CPU, pixels; content at p moves to
// p + F(p); channel 0 = dx, 1 = dy) for tests, benchmarks and simple camera moves, so noise warping
// needs no OpenCV. Pixel centres sit at integer coordinates; the image centre is ((W−1)/2, (H−1)/2).
// Thread: pure functions.

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "core/model/scene.h"

namespace ns {

class FlowFields {
 public:
  // Constant displacement (dx, dy) everywhere.
  static at::Tensor translation(int64_t height, int64_t width, float dx, float dy);
  // Similarity about the centre: content scaled by `zoom` (>1 zooms in) and rotated by
  // `degrees` (counter-clockwise on screen, y down), then translated by (dx, dy).
  static at::Tensor similarity(int64_t height, int64_t width, float degrees, float zoom, float dx = 0, float dy = 0);
  static at::Tensor zoom(int64_t height, int64_t width, float factor) { return similarity(height, width, 0, factor); }
  static at::Tensor rotation(int64_t height, int64_t width, float degrees) {
    return similarity(height, width, degrees, 1);
  }
  // Swirl: rotation by degrees·exp(−r/radius) about the centre (radius in pixels), strongest at
  // the centre, fading outwards: a smooth non-rigid field with expansion and contraction.
  static at::Tensor swirl(int64_t height, int64_t width, float degrees, float radius);
  // A box moving from `from` to `to` (normalised boxes) between two frames: inside `from` the
  // flow maps the box affinely onto `to` (translation plus scale); zero elsewhere.
  static at::Tensor fromTrajectory(int64_t height, int64_t width, const NormBox& from, const NormBox& to);
};

}  // namespace ns
