#pragma once
// FrameBuffer: frames as plain floats, the currency between the engine and the UI/preview
// (which never include torch). Layout [count][channels][height][width], row-major.
// Images: channels 3 (RGB) in [0,1]. Noise: any channel count, raw values (≈ N(0,1)).
// Flow: channels 2 (dx, dy in pixels).

#include <cstddef>
#include <string>
#include <vector>

namespace ns {

// What the values mean, so viewers pick a colour mapping. Persisted? No (runtime only).
enum class FrameKind {
  Invalid = 0,
  Image,  // RGB in [0,1]
  Noise,  // raw noise channels, shown as a diverging heat map of one channel (±3σ)
  Flow,   // dx, dy in pixels, shown on a colour wheel
};

struct FrameBuffer {
  FrameKind kind = FrameKind::Invalid;
  int count = 0, channels = 0, height = 0, width = 0;
  std::vector<float> data;

  bool empty() const { return count == 0 || data.empty(); }
  size_t frameSize() const { return size_t(channels) * height * width; }
  const float* frame(int i) const { return data.data() + size_t(i) * frameSize(); }
  float* frame(int i) { return data.data() + size_t(i) * frameSize(); }
  float at(int f, int c, int y, int x) const { return data[((size_t(f) * channels + c) * height + y) * width + x]; }
};

}  // namespace ns
