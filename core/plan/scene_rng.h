#pragma once
// Deterministic randomness for the shapes-world scene generator: a SplitMix64 stream and
// stateless hash-based value noise. Everything is plain integer/float arithmetic, so the same
// seed gives the same numbers on every platform (no std:: distributions, no global state).
// All functions are pure or act on a caller-owned SceneRng: safe to use from any thread.

#include <cmath>
#include <cstdint>

namespace ns::scene {

inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// SplitMix64 stream (Steele et al.); one per scene, owned by the caller.
class SceneRng {
 public:
  explicit SceneRng(uint64_t seed) : m_state(seed) {}
  uint64_t next() {
    m_state += 0x9e3779b97f4a7c15ULL;
    return mix64(m_state);
  }
  // Uniform in [0,1) with 24 bits (exact in float).
  float uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }
  float range(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0,n) by multiply-shift (no modulo bias worth caring about, fully portable).
  int index(int n) { return static_cast<int>(((next() >> 32) * static_cast<uint64_t>(n)) >> 32); }
  // A fresh independent seed for a sub-stream (textures of one object, ...).
  uint64_t fork() { return mix64(next() ^ 0x6a09e667f3bcc909ULL); }

 private:
  uint64_t m_state;
};

// Hash of a lattice point to [0,1): a 32-bit mix of the coordinates finished with the
// "lowbias32" integer hash (cheap: value noise calls it four times per sample).
inline float hash2(int32_t x, int32_t y, uint32_t seed) {
  uint32_t h = static_cast<uint32_t>(x) * 0x8da6b343u ^ static_cast<uint32_t>(y) * 0xd8163841u ^ seed * 0xcb1ab31fu;
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  return static_cast<float>(h >> 8) * (1.0f / 16777216.0f);
}

// Smooth value noise in [0,1): bilinear between lattice hashes with a C1 fade.
inline float valueNoise(float x, float y, uint32_t seed) {
  const float fx = std::floor(x), fy = std::floor(y);
  const int32_t ix = static_cast<int32_t>(fx), iy = static_cast<int32_t>(fy);
  float tx = x - fx, ty = y - fy;
  tx = tx * tx * (3.f - 2.f * tx);
  ty = ty * ty * (3.f - 2.f * ty);
  const float a = hash2(ix, iy, seed), b = hash2(ix + 1, iy, seed);
  const float c = hash2(ix, iy + 1, seed), d = hash2(ix + 1, iy + 1, seed);
  const float top = a + (b - a) * tx, bot = c + (d - c) * tx;
  return top + (bot - top) * ty;
}

// Fractal value noise in about [-1,1] over normalised coordinates (u,v) with base frequencies
// freqU/freqV (cycles per image side). Octaves finer than what `sizePx` pixels can show are left
// out (and the sum stays normalised by all octaves), so a small render is the band-limited version
// of a large one: a 128 px scene downscaled to 64 px looks like the 64 px scene.
inline float fbm(float u, float v, float freqU, float freqV, int octaves, int sizePx, uint32_t seed) {
  float sum = 0.f, amp = 1.f, norm = 0.f;
  const float limit = 0.3f * static_cast<float>(sizePx);  // cycles per side, below Nyquist with margin
  for (int o = 0; o < octaves; ++o) {
    if ((freqU > freqV ? freqU : freqV) <= limit) {
      sum += amp * (valueNoise(u * freqU, v * freqV, seed + 977u * static_cast<uint32_t>(o)) * 2.f - 1.f);
    }
    norm += amp;
    amp *= 0.5f;
    freqU *= 2.f;
    freqV *= 2.f;
  }
  return sum / norm;
}

// Attenuation for a periodic pattern of `cyclesPerPixel`: 1 when well resolved, 0 near Nyquist.
inline float bandLimit(float cyclesPerPixel) {
  const float t = (cyclesPerPixel - 0.12f) / (0.3f - 0.12f);
  return t <= 0.f ? 1.f : (t >= 1.f ? 0.f : 1.f - t * t * (3.f - 2.f * t));
}

inline float clamp01(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }
inline float smoothstep(float e0, float e1, float x) {
  const float t = clamp01((x - e0) / (e1 - e0));
  return t * t * (3.f - 2.f * t);
}
inline float mixf(float a, float b, float t) { return a + (b - a) * t; }

}  // namespace ns::scene
