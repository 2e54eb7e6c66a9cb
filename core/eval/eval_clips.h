#pragma once
// Held-out planned clips for the video evaluation (video_eval.h). A clip is the `eval layout`
// layout of the same seed (layout_eval.h makeEvalLayout: 64x64, 1-2 built-in shapes whose
// (colour, shape, background) triples the built-in model never saw in training, over a gradient
// sketch of the background word, warped noise), so the short clip of seed s is exactly that
// layout. A longer clip has the same objects and keys and continues every object's path with new
// seeded keys at the same spacing (a Catmull-Rom path bends a little differently near the old
// last key), so objects move about as fast per frame in both and per-frame metrics (flicker)
// compare between them.
// Thread: stateless, deterministic in (seed, shortFrames, frames).

#include <cstdint>

#include "core/plan/project.h"

namespace ns {

// frames >= shortFrames >= 2. frames == shortFrames is makeEvalLayout(seed, shortFrames).
Project makeVideoEvalClip(uint64_t seed, int shortFrames, int frames);

}  // namespace ns
