#pragma once
// SceneDataset: "shapes world" scenes generated into memory for training. Images are kept as
// uint8 [N,3,64,64] on the CPU (a quarter of float32's memory); batches are converted to float
// in [-1,1] on the training device by toFloatImages().
// Thread contract: generateSceneDataset() runs a pool of worker threads internally and returns
// when all of them have joined; the returned tensors are owned by the caller.

#include <ATen/core/Tensor.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "app/train/seeding.h"
#include "core/util/result.h"

namespace ns::train {

// Which scenes to draw. Persisted? No.
enum class SceneMix {
  Invalid = 0,
  HalfSingle,  // even indices: one object; odd indices: two or three objects (UNet/autoencoder data);
               // scenes with a held-out caption triple (core/model/held_out.h) are redrawn
  SingleOnly,  // one object per scene (classifier data)
};

struct SceneDatasetOptions {
  int count = 0;
  int size = 64;               // image side in pixels
  uint64_t seed = 1;           // run seed; scene i uses mixSeed(seed, stream, i)
  SeedStream stream = SeedStream::UnetScenes;
  SceneMix mix = SceneMix::HalfSingle;
  int threads = 0;             // 0 = all hardware threads
};

struct SceneDataset {
  at::Tensor images;      // [N,3,S,S] uint8 (0..255 for -1..1)
  at::Tensor tokens;      // [N,16] int64 caption token ids (Vocabulary::tokenize)
  at::Tensor colour;      // [N] int64: colour index of the first object (Vocabulary::colours())
  at::Tensor shape;       // [N] int64: shape index of the first object (Vocabulary::shapes())
  at::Tensor background;  // [N] int64: Vocabulary::backgrounds() index
  std::vector<std::string> captions;
  double secondsToGenerate = 0;
  int64_t size() const { return images.defined() ? images.size(0) : 0; }
};

// Generates options.count scenes with SceneGenerator (deterministic per index, so the dataset is
// the same for any thread count). Stops early with a Cancelled error when *stop becomes true.
// Fails (BadInput) when a caption or label falls outside the vocabulary.
Result<SceneDataset> generateSceneDataset(const SceneDatasetOptions& options, const std::atomic<bool>* stop);

// uint8 [B,3,H,W] (any device) -> float [B,3,H,W] in [-1,1] on `device`. The copy happens before
// the conversion so that only bytes cross to a GPU.
at::Tensor toFloatImages(const at::Tensor& bytes, const std::string& device);

}  // namespace ns::train
