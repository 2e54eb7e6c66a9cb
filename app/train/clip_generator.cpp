#include "app/train/clip_generator.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>

#include "core/model/held_out.h"
#include "core/model/vocabulary.h"
#include "core/plan/scene_generator.h"

namespace ns::train {

namespace {

// Uniform draws in [0,1) from a counter (splitmix64): the same on every platform and library.
struct PathRng {
  uint64_t state;
  double uniform() {
    state = splitmix64(state);
    return double(state >> 11) * (1.0 / 9007199254740992.0);
  }
  double range(double lo, double hi) { return lo + (hi - lo) * uniform(); }
};

struct Point {
  double x, y;
};

}  // namespace

std::vector<SceneSpec> movingSpecs(const SceneSpec& first, int frames, uint64_t pathSeed) {
  PathRng rng{pathSeed};
  std::vector<SceneSpec> out(size_t(std::max(1, frames)), first);
  for (size_t k = 0; k < first.objects.size(); ++k) {
    const NormBox& b = first.objects[k].box;
    const double hw = 0.5 * b.width(), hh = 0.5 * b.height();
    // The centre may go wherever the whole box stays inside the frame; a Bézier curve stays in the
    // convex hull of its points, so all three inside keeps every frame inside.
    auto clampCentre = [&](Point p) {
      return Point{std::clamp(p.x, hw, std::max(hw, 1.0 - hw)), std::clamp(p.y, hh, std::max(hh, 1.0 - hh))};
    };
    const Point p0{b.cx(), b.cy()};
    const double angle = rng.range(0.0, 2.0 * M_PI), dist = rng.range(0.10, 0.45);
    const Point p2 = clampCentre({p0.x + dist * std::cos(angle), p0.y + dist * std::sin(angle)});
    const double bend = rng.range(-0.15, 0.15);  // sideways, perpendicular to the chord
    const Point mid{0.5 * (p0.x + p2.x), 0.5 * (p0.y + p2.y)};
    const Point p1 = clampCentre({mid.x - bend * std::sin(angle), mid.y + bend * std::cos(angle)});
    for (int f = 0; f < frames; ++f) {
      const double s = frames > 1 ? double(f) / double(frames - 1) : 0.0;
      const double a = (1 - s) * (1 - s), c = 2 * (1 - s) * s, d = s * s;
      const Point p{a * p0.x + c * p1.x + d * p2.x, a * p0.y + c * p1.y + d * p2.y};
      NormBox& nb = out[size_t(f)].objects[k].box;
      nb = {float(p.x - hw), float(p.y - hh), float(p.x + hw), float(p.y + hh)};
    }
  }
  return out;
}

Result<ClipBatch> generateClipBatch(uint64_t seed, SeedStream stream, uint64_t firstIndex, int count, int frames,
                                    int size, int threads) {
  if (count < 1 || frames < 1 || size < 8)
    return makeError(ErrorKind::BadInput, "clip batch: need at least 1 clip of 1 frame (got " + std::to_string(count) +
                                              " clips of " + std::to_string(frames) + " frames)");
  const int64_t frameBytes = int64_t(3) * size * size;
  ClipBatch batch;
  batch.frames = at::empty({count, frames, 3, size, size}, at::kByte);
  batch.tokens = at::zeros({count, Vocabulary::kMaxTokens}, at::kLong);
  batch.captions.assign(size_t(count), {});
  batch.specs.assign(size_t(count), {});
  uint8_t* pixels = batch.frames.data_ptr<uint8_t>();
  int64_t* tokens = batch.tokens.data_ptr<int64_t>();

  std::atomic<int> next{0};
  std::mutex errorMutex;
  std::string firstError;
  auto worker = [&]() {
    c10::InferenceMode guard;
    SceneOptions single, multi;
    single.size = multi.size = size;
    single.minObjects = single.maxObjects = 1;
    multi.minObjects = 2;
    multi.maxObjects = 3;
    const SceneGenerator singleGen(single), multiGen(multi);
    for (int i; (i = next.fetch_add(1)) < count;) {
      try {
        const uint64_t index = firstIndex + uint64_t(i);
        const SceneGenerator& gen = index % 2 == 0 ? singleGen : multiGen;
        uint64_t sceneSeed = mixSeed(seed, stream, index);
        GeneratedScene scene = gen.generate(sceneSeed);
        for (uint64_t retry = 1; isHeldOutScene(scene.spec); ++retry) {
          sceneSeed = mixSeed(seed, stream, index + (retry << 40));
          scene = gen.generate(sceneSeed);
        }
        std::vector<std::string> unknown;
        const std::vector<int64_t> tok = Vocabulary::tokenize(scene.caption, &unknown);
        if (!unknown.empty()) throw std::runtime_error("caption word outside the vocabulary: " + unknown.front());
        std::copy(tok.begin(), tok.begin() + std::min<size_t>(tok.size(), Vocabulary::kMaxTokens),
                  tokens + int64_t(i) * Vocabulary::kMaxTokens);
        std::vector<SceneSpec> specs = movingSpecs(scene.spec, frames, splitmix64(sceneSeed ^ 0x4d4f54494f4e0003ULL));
        for (int f = 0; f < frames; ++f) {
          // Frame 0 is the generated scene itself; later frames re-render with the same seed.
          const at::Tensor img = f == 0 ? scene.image : gen.render(specs[size_t(f)], sceneSeed).image;
          const at::Tensor bytes = img.add(1.0).mul(127.5).round().clamp(0, 255).to(at::kByte).contiguous();
          std::memcpy(pixels + (int64_t(i) * frames + f) * frameBytes, bytes.data_ptr<uint8_t>(), size_t(frameBytes));
        }
        batch.captions[size_t(i)] = scene.caption;
        batch.specs[size_t(i)] = std::move(specs);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(errorMutex);
        if (firstError.empty()) firstError = "clip " + std::to_string(firstIndex + uint64_t(i)) + ": " + e.what();
        next = count;
      }
    }
  };
  int n = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
  n = std::max(1, std::min(n, count));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (!firstError.empty()) return makeError(ErrorKind::Internal, "clip generator: " + firstError);
  return batch;
}

}  // namespace ns::train
