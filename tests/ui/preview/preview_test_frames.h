#pragma once
// Deterministic FrameBuffers and image comparison for the preview tests and benchmark.

#include <QImage>
#include <algorithm>
#include <cmath>
#include <random>

#include "core/util/frame_buffer.h"

namespace nstest {

// RGB frames with gradients and a per-frame offset, values spanning [-0.1, 1.1] to exercise clamping.
inline ns::FrameBuffer rgbFrames(int w, int h, int count = 1, unsigned seed = 1) {
  ns::FrameBuffer f{ns::FrameKind::Image, count, 3, h, w, {}};
  f.data.resize(size_t(count) * 3 * w * h);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> jitter(-0.02f, 0.02f);
  for (int i = 0; i < count; ++i)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const float u = float(x) / std::max(1, w - 1), v = float(y) / std::max(1, h - 1);
        const float vals[3] = {-0.1f + 1.2f * u, 0.5f + 0.5f * std::sin(6.f * v + i), 1.1f - 1.2f * (u + v) / 2.f};
        for (int c = 0; c < 3; ++c) f.data[((size_t(i) * 3 + c) * h + y) * w + x] = vals[c] + jitter(rng);
      }
  return f;
}

// Gaussian noise frames N(0, sigma^2) from a seeded generator.
inline ns::FrameBuffer noiseFrames(int w, int h, int channels, int count = 1, float sigma = 1.f, unsigned seed = 7) {
  ns::FrameBuffer f{ns::FrameKind::Noise, count, channels, h, w, {}};
  f.data.resize(size_t(count) * channels * w * h);
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.f, sigma);
  for (auto& v : f.data) v = n(rng);
  return f;
}

// A rotating flow field (every direction present) plus a band of pure +x motion (the wheel seam).
inline ns::FrameBuffer flowFrames(int w, int h, int count = 1) {
  ns::FrameBuffer f{ns::FrameKind::Flow, count, 2, h, w, {}};
  f.data.resize(size_t(count) * 2 * w * h);
  for (int i = 0; i < count; ++i)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        float dx = (y - h / 2.f) * 0.1f * (i + 1), dy = -(x - w / 2.f) * 0.1f * (i + 1);
        if (y < 4) dx = 2.f + x * 0.01f, dy = 0.f;
        f.data[((size_t(i) * 2 + 0) * h + y) * w + x] = dx;
        f.data[((size_t(i) * 2 + 1) * h + y) * w + x] = dy;
      }
  return f;
}

struct ImageDiff {
  int maxDiff = 255;     // largest per-channel difference (0..255)
  double meanDiff = 0;   // mean per-channel difference
  int compared = 0;      // pixels compared
};

// Per-channel difference of two same-size images, skipping columns [skipX0, skipX1).
inline ImageDiff compareImages(const QImage& a0, const QImage& b0, int skipX0 = -1, int skipX1 = -1) {
  ImageDiff d;
  if (a0.size() != b0.size() || a0.isNull()) return d;
  const QImage a = a0.convertToFormat(QImage::Format_RGB32), b = b0.convertToFormat(QImage::Format_RGB32);
  d.maxDiff = 0;
  double sum = 0;
  for (int y = 0; y < a.height(); ++y) {
    const QRgb* la = reinterpret_cast<const QRgb*>(a.constScanLine(y));
    const QRgb* lb = reinterpret_cast<const QRgb*>(b.constScanLine(y));
    for (int x = 0; x < a.width(); ++x) {
      if (x >= skipX0 && x < skipX1) continue;
      const int diffs[3] = {std::abs(qRed(la[x]) - qRed(lb[x])), std::abs(qGreen(la[x]) - qGreen(lb[x])),
                            std::abs(qBlue(la[x]) - qBlue(lb[x]))};
      for (int k : diffs) d.maxDiff = std::max(d.maxDiff, k), sum += k;
      ++d.compared;
    }
  }
  d.meanDiff = d.compared ? sum / (3.0 * d.compared) : 0;
  return d;
}

}  // namespace nstest
