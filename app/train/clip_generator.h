#pragma once
// Moving-object clips for the motion stage, generated on the fly from the image stage's scene
// generator (core/plan/scene_generator.h): a scene is drawn as for the image data (half single-
// object, half two or three objects; held-out caption triples redrawn), then every object glides
// along its own random smooth path — a quadratic Bézier from where it stands to a point 0.1–0.45
// of the frame away, bent through a random control point — while the background, lighting and
// textures stay put (the same render seed for every frame). The caption is the scene's, as for
// the image stage. Deterministic per (run seed, index): no clip is stored.
// Thread contract: generateClipBatch runs a few worker threads internally and joins them.

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

#include "app/train/seeding.h"
#include "core/plan/scene_generator.h"
#include "core/util/result.h"

namespace ns::train {

struct ClipBatch {
  at::Tensor frames;  // [B,F,3,S,S] uint8 (0..255 for -1..1)
  at::Tensor tokens;  // [B,16] int64 caption token ids
  std::vector<std::string> captions;
  std::vector<std::vector<SceneSpec>> specs;  // [B][F]: every frame's boxes
};

// Object boxes of a clip: frame f of `frames` for the objects of `first`, moving as described
// above with the draws of `pathSeed`. Boxes keep their size and stay inside [0,1]².
std::vector<SceneSpec> movingSpecs(const SceneSpec& first, int frames, uint64_t pathSeed);

// Clips index firstIndex .. firstIndex+count-1 of (seed, stream): clip i's scene uses
// mixSeed(seed, stream, i); even i are single-object scenes.
Result<ClipBatch> generateClipBatch(uint64_t seed, SeedStream stream, uint64_t firstIndex, int count, int frames,
                                    int size = 64, int threads = 0);

}  // namespace ns::train
