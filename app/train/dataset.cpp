#include "app/train/dataset.h"

#include "core/model/held_out.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "core/model/vocabulary.h"
#include "core/plan/scene_generator.h"

namespace ns::train {

namespace {

SceneOptions sceneOptionsFor(SceneMix mix, int index, int size) {
  SceneOptions o;
  o.size = size;
  if (mix == SceneMix::SingleOnly || index % 2 == 0) {
    o.minObjects = o.maxObjects = 1;
  } else {
    // The other half holds only multi-object scenes, so single-object captions make up half
    // the data (the evaluation asks for single objects) while compositions are still learned.
    o.minObjects = 2;
    o.maxObjects = 3;
  }
  return o;
}

struct Labels {
  int64_t colour = -1, shape = -1, background = -1;
};

}  // namespace

Result<SceneDataset> generateSceneDataset(const SceneDatasetOptions& options, const std::atomic<bool>* stop) {
  if (options.count <= 0)
    return makeError(ErrorKind::BadInput, "--dataset must be at least 1 (got " + std::to_string(options.count) + ")");
  const auto t0 = std::chrono::steady_clock::now();
  const int n = options.count, s = options.size;
  const int64_t frame = int64_t(3) * s * s;
  SceneDataset ds;
  ds.images = at::empty({n, 3, s, s}, at::kByte);
  ds.tokens = at::zeros({n, Vocabulary::kMaxTokens}, at::kLong);
  ds.colour = at::empty({n}, at::kLong);
  ds.shape = at::empty({n}, at::kLong);
  ds.background = at::empty({n}, at::kLong);
  ds.captions.assign(n, {});

  uint8_t* imgPtr = ds.images.data_ptr<uint8_t>();
  int64_t* tokPtr = ds.tokens.data_ptr<int64_t>();
  int64_t* colPtr = ds.colour.data_ptr<int64_t>();
  int64_t* shpPtr = ds.shape.data_ptr<int64_t>();
  int64_t* bgPtr = ds.background.data_ptr<int64_t>();

  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::mutex errorMutex;
  std::string firstError;
  auto fail = [&](const std::string& msg) {
    std::lock_guard<std::mutex> lock(errorMutex);
    if (firstError.empty()) firstError = msg;
    failed = true;
  };

  auto worker = [&]() {
    // The generated images are read once and copied into the byte buffer: no autograd needed.
    c10::InferenceMode guard;
    const SceneGenerator single(sceneOptionsFor(options.mix, 0, s));
    const SceneGenerator multi(sceneOptionsFor(options.mix, 1, s));
    for (;;) {
      const int i = next.fetch_add(1);
      if (i >= n || failed || (stop && stop->load())) return;
      try {
        const SceneGenerator& gen = (options.mix == SceneMix::SingleOnly || i % 2 == 0) ? single : multi;
        // UNet/autoencoder data skips held-out caption triples (core/model/held_out.h) so `model eval`
        // measures prompts never seen as a whole: retry with derived seeds until the scene is allowed.
        GeneratedScene scene = gen.generate(mixSeed(options.seed, options.stream, uint64_t(i)));
        for (uint64_t retry = 1; options.mix != SceneMix::SingleOnly && isHeldOutScene(scene.spec); ++retry)
          scene = gen.generate(mixSeed(options.seed, options.stream, uint64_t(i) + (retry << 40)));
        at::Tensor img = scene.image;
        if (img.dim() != 3 || img.size(0) != 3 || img.size(1) != s || img.size(2) != s) {
          fail("scene generator returned an image of shape " + std::to_string(img.dim()) + "-d, expected [3," +
               std::to_string(s) + "," + std::to_string(s) + "]");
          return;
        }
        at::Tensor bytes = img.to(at::kFloat).add(1.0).mul(127.5).round().clamp(0, 255).to(at::kByte).contiguous();
        std::memcpy(imgPtr + int64_t(i) * frame, bytes.data_ptr<uint8_t>(), size_t(frame));

        std::vector<std::string> unknown;
        const std::vector<int64_t> tok = Vocabulary::tokenize(scene.caption, &unknown);
        if (!unknown.empty()) {
          fail("scene caption \"" + scene.caption + "\" has words outside the vocabulary: " + unknown.front());
          return;
        }
        const size_t len = std::min<size_t>(tok.size(), Vocabulary::kMaxTokens);
        std::copy(tok.begin(), tok.begin() + len, tokPtr + int64_t(i) * Vocabulary::kMaxTokens);

        Labels l;
        l.background = Vocabulary::indexOf(Vocabulary::backgrounds(), scene.spec.background);
        if (!scene.spec.objects.empty()) {
          l.colour = Vocabulary::indexOf(Vocabulary::colours(), scene.spec.objects.front().colour);
          l.shape = Vocabulary::indexOf(Vocabulary::shapes(), scene.spec.objects.front().shape);
        }
        if (l.background < 0 || l.colour < 0 || l.shape < 0) {
          fail("scene " + std::to_string(i) + " (\"" + scene.caption +
               "\") has a colour, shape or background that is not in the vocabulary");
          return;
        }
        colPtr[i] = l.colour;
        shpPtr[i] = l.shape;
        bgPtr[i] = l.background;
        ds.captions[size_t(i)] = std::move(scene.caption);
      } catch (const std::exception& e) {
        fail(std::string("scene generator failed on scene ") + std::to_string(i) + ": " + e.what());
        return;
      }
    }
  };

  int threads = options.threads > 0 ? options.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::max(1, std::min(threads, n));
  std::vector<std::thread> pool;
  pool.reserve(size_t(threads));
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();

  if (failed) return makeError(ErrorKind::Internal, firstError);
  if (stop && stop->load()) return makeError(ErrorKind::Cancelled, "dataset generation was interrupted");
  ds.secondsToGenerate = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::info("generated {} scenes ({}x{}, {}) in {:.1f} s with {} threads", n, s, s,
               options.mix == SceneMix::SingleOnly ? "single object" : "half single object", ds.secondsToGenerate,
               threads);
  return ds;
}

at::Tensor toFloatImages(const at::Tensor& bytes, const std::string& device) {
  return bytes.to(at::Device(device)).to(at::kFloat).div_(127.5).sub_(1.0);
}

}  // namespace ns::train
