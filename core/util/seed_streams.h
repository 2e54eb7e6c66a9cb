#pragma once
// Named random streams: every random draw NoiseStudio makes comes from (user seed, stream, index),
// so draws made for different purposes never share a generator state. Two generators seeded with
// the same number produce the same numbers: before streams, the noise warper's fresh noise and its
// initial field were both seeded with the project's seed, so the first "fresh" draw repeated the
// initial field value for value (disoccluded regions showed frame 0's noise again).
//
// Stability: the x_T of frame i is seeded with seed + i directly (StartNoise is documented as the
// identity mapping), so `generate --seed 7` and frame 0 of a plan render with seed 7 start from the
// same noise, as they always have. Every other purpose is mixed (splitmix64) and may be told apart
// from any other stream. docs/determinism.md lists the streams; a new purpose gets a new enumerator
// (appended: values are part of every saved result's reproducibility).
#include <cstdint>

namespace ns {

enum class SeedStream : uint64_t {
  StartNoise = 0,         // x_T of frame i: seed + i (not mixed, see above)
  WarpFresh = 1,          // the noise warper's fresh draws (disocclusions, expansion)
  Degradation = 2,        // γ-degradation noise mixed into warped noise (Go-with-the-Flow §2.5)
  FreeNoiseShuffle = 3,   // FreeNoise's window permutations
  SamplerAncestral = 4,   // DDIM η > 0 / DDPM per-step noise of generate and renders
  EditFresh = 5,          // an edit's fresh noise: index 0 borders exposed by a shift, 1 the
                          // edit-friendly re-render's fresh noise
};
// Verbs with a single random consumer seed it with the user's seed directly (invert's auxiliary
// path, interpolate's added noise, search's candidates); docs/determinism.md lists them too.

inline constexpr uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The seed of draw `index` of `stream` under the user's `seed`. StartNoise: seed + index.
inline constexpr uint64_t mixSeed(uint64_t seed, SeedStream stream, uint64_t index = 0) {
  if (stream == SeedStream::StartNoise) return seed + index;
  return splitmix64(splitmix64(seed ^ (uint64_t(stream) * 0xD1B54A32D192ED03ull)) + index);
}

}  // namespace ns
