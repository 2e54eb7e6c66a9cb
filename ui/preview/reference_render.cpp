#include "ui/preview/reference_render.h"

#include <algorithm>
#include <cmath>

namespace ns::ui {
namespace {

float clamp01(float v) { return v < 0.f ? 0.f : (v > 1.f ? 1.f : v); }
int clampChannel(const FrameBuffer& f, int c) { return std::clamp(c, 0, std::max(0, f.channels - 1)); }
QRgb toQRgb(const Rgb& c) {
  return qRgb(int(std::lround(clamp01(c[0]) * 255.f)), int(std::lround(clamp01(c[1]) * 255.f)),
              int(std::lround(clamp01(c[2]) * 255.f)));
}

// Middlebury wheel segment lengths (Baker et al., flowToColor): red-yellow, yellow-green,
// green-cyan, cyan-blue, blue-magenta, magenta-red. 55 colours in all.
constexpr int kRY = 15, kYG = 6, kGC = 4, kCB = 11, kBM = 13, kMR = 6;
constexpr int kWheelColours = kRY + kYG + kGC + kCB + kBM + kMR;

// Colour number k of the wheel, computed from the segment formulas instead of a table so the
// shader can do the same (no integer flooring of 255*i/n, unlike the original C code).
Rgb wheelEntry(int k) {
  float i = float(k);
  if (k < kRY) return {1.f, i / kRY, 0.f};
  i -= kRY;
  if (k < kRY + kYG) return {1.f - i / kYG, 1.f, 0.f};
  i -= kYG;
  if (k < kRY + kYG + kGC) return {0.f, 1.f, i / kGC};
  i -= kGC;
  if (k < kRY + kYG + kGC + kCB) return {0.f, 1.f - i / kCB, 1.f};
  i -= kCB;
  if (k < kRY + kYG + kGC + kCB + kBM) return {i / kBM, 0.f, 1.f};
  i -= kBM;
  return {1.f, 0.f, 1.f - i / kMR};
}

}  // namespace

float channelSigma(const FrameBuffer& frames, int frame, int channel) {
  if (frames.empty() || frames.channels <= 0) return 0.f;
  const size_t n = size_t(frames.width) * frames.height;
  if (n == 0) return 0.f;
  const float* p = frames.frame(clampFrame(frames, frame)) + size_t(clampChannel(frames, channel)) * n;
  // Two passes in double: noise maps have |mean| << σ, but rendered latents may not.
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += p[i];
  const double mean = sum / double(n);
  double sq = 0.0;
  for (size_t i = 0; i < n; ++i) sq += (p[i] - mean) * (p[i] - mean);
  return float(std::sqrt(sq / double(n)));
}

float flowMaxMagnitude(const FrameBuffer& frames, int frame) {
  if (frames.empty() || frames.channels < 2) return 0.f;
  const size_t n = size_t(frames.width) * frames.height;
  const float* dx = frames.frame(clampFrame(frames, frame));
  const float* dy = dx + n;
  float best = 0.f;
  for (size_t i = 0; i < n; ++i) best = std::max(best, dx[i] * dx[i] + dy[i] * dy[i]);
  return std::sqrt(best);
}

float colourMapParameter(const FrameBuffer& frames, int frame, ColourMap map, int channel) {
  switch (map) {
    case ColourMap::Heat: {
      const float range = 3.f * channelSigma(frames, frame, channel);
      return range > 1e-12f ? range : 1.f;  // a constant channel: show it around ±1
    }
    case ColourMap::Wheel: return flowMaxMagnitude(frames, frame);
    default: return 1.f;
  }
}

Rgb heatColour(float t) {
  // RdBu-like control points at t = -1, -0.5, 0, 0.5, 1 (same table in preview.frag).
  static const Rgb kStops[5] = {{0.02f, 0.19f, 0.38f},
                                {0.26f, 0.58f, 0.76f},
                                {0.97f, 0.97f, 0.97f},
                                {0.84f, 0.38f, 0.30f},
                                {0.40f, 0.00f, 0.12f}};
  t = std::clamp(t, -1.f, 1.f);
  const float s = (t + 1.f) * 2.f;  // 0..4
  // Piecewise linear as a sum of clamped ramps (no indexing by segment: llvmpipe turns a
  // dynamically indexed constant array into per-lane gathers). Same order of terms as the shader.
  Rgb out;
  for (int c = 0; c < 3; ++c) {
    float v = kStops[0][c];
    for (int k = 0; k < 4; ++k) v += (kStops[k + 1][c] - kStops[k][c]) * std::clamp(s - float(k), 0.f, 1.f);
    out[c] = v;
  }
  return out;
}

Rgb wheelColour(float dx, float dy, float maxMagnitude) {
  if (!(maxMagnitude > 0.f)) return {1.f, 1.f, 1.f};
  const float rad = std::sqrt(dx * dx + dy * dy) / maxMagnitude;
  if (rad == 0.f) return {1.f, 1.f, 1.f};  // atan2(0, 0) is not defined on every GPU
  // The wheel has a seam at +x; atan2(-0, -dx) would pick a side from the sign of zero, which
  // GPUs do not honour, so pure +x motion (common in sketches) goes to the start explicitly.
  const float a = (dy == 0.f && dx > 0.f) ? -1.f : std::atan2(-dy, -dx) / float(M_PI);  // -1..1
  const float fk = (a + 1.f) * 0.5f * float(kWheelColours - 1);      // 0..54
  const int k0 = std::clamp(int(std::floor(fk)), 0, kWheelColours - 1);
  const int k1 = (k0 + 1) % kWheelColours;
  const float f = fk - float(k0);
  const Rgb c0 = wheelEntry(k0), c1 = wheelEntry(k1);
  Rgb out;
  for (int c = 0; c < 3; ++c) {
    const float col = (1.f - f) * c0[c] + f * c1[c];
    // Inside the unit disc saturation grows with magnitude; beyond it (not reached when
    // normalised by the max) Middlebury darkens.
    out[c] = rad <= 1.f ? 1.f - rad * (1.f - col) : col * 0.75f;
  }
  return out;
}

Rgb mapPixel(const FrameBuffer& frames, int frame, int x, int y, ColourMap map, int channel, float param) {
  const size_t n = size_t(frames.width) * frames.height;
  const float* p = frames.frame(clampFrame(frames, frame)) + size_t(y) * frames.width + x;
  switch (map) {
    case ColourMap::Heat: return heatColour(p[size_t(clampChannel(frames, channel)) * n] / param);
    case ColourMap::Wheel:
      return frames.channels >= 2 ? wheelColour(p[0], p[n], param) : Rgb{1.f, 1.f, 1.f};
    default: {
      const int c = frames.channels;
      if (c >= 3) return {clamp01(p[0]), clamp01(p[n]), clamp01(p[2 * n])};
      if (c == 2) return {clamp01(p[0]), clamp01(p[n]), 0.f};
      return {clamp01(p[0]), clamp01(p[0]), clamp01(p[0])};
    }
  }
}

QImage referenceRender(const FrameBuffer& primary, const PreviewParams& params, const FrameBuffer* secondary) {
  if (primary.empty() || primary.width <= 0 || primary.height <= 0) return {};
  const int w = primary.width, h = primary.height;
  const int cur = clampFrame(primary, params.frame);
  const ColourMap map0 = colourMapFor(params.mode, primary.kind);
  const float param0 = colourMapParameter(primary, cur, map0, params.noiseChannel);
  QImage img(w, h, QImage::Format_RGB32);

  // Fast path for the common case (RGB frame): no per-pixel dispatch.
  if (params.mode == PreviewMode::Frame && primary.channels >= 3) {
    const size_t n = size_t(w) * h;
    const float* r = primary.frame(cur);
    const float* g = r + n;
    const float* b = g + n;
    for (int y = 0; y < h; ++y) {
      QRgb* line = reinterpret_cast<QRgb*>(img.scanLine(y));
      const size_t o = size_t(y) * w;
      for (int x = 0; x < w; ++x) {
        const auto q = [](float v) { return int(clamp01(v) * 255.f + 0.5f); };
        line[x] = qRgb(q(r[o + x]), q(g[o + x]), q(b[o + x]));
      }
    }
    return img;
  }

  const bool split = params.mode == PreviewMode::SplitAB && secondary && !secondary->empty();
  const int sec = split ? clampFrame(*secondary, params.frame) : 0;
  const ColourMap map1 = split ? colourMapFor(params.mode, secondary->kind) : ColourMap::Rgb;
  const float param1 = split ? colourMapParameter(*secondary, sec, map1, params.noiseChannel) : 1.f;
  const double splitX = params.splitFraction * w;

  const bool onion = params.mode == PreviewMode::OnionSkin;
  const int prev = cur - 1, next = cur + 1;
  const float a = float(std::clamp(params.onionAlpha, 0.0, 0.5));
  const float wPrev = onion && prev >= 0 ? a : 0.f;
  const float wNext = onion && next < primary.count ? a : 0.f;
  const float wCur = 1.f - wPrev - wNext;
  const float paramPrev = wPrev > 0.f ? colourMapParameter(primary, prev, map0, params.noiseChannel) : 1.f;
  const float paramNext = wNext > 0.f ? colourMapParameter(primary, next, map0, params.noiseChannel) : 1.f;

  for (int y = 0; y < h; ++y) {
    QRgb* line = reinterpret_cast<QRgb*>(img.scanLine(y));
    for (int x = 0; x < w; ++x) {
      Rgb c;
      if (split && x + 0.5 < splitX) {
        // Same texel choice as the shader: floor(normalised pixel centre * secondary size).
        const int sx = std::min(int(std::floor((x + 0.5) * secondary->width / w)), secondary->width - 1);
        const int sy = std::min(int(std::floor((y + 0.5) * secondary->height / h)), secondary->height - 1);
        c = mapPixel(*secondary, sec, sx, sy, map1, params.noiseChannel, param1);
      } else {
        c = mapPixel(primary, cur, x, y, map0, params.noiseChannel, param0);
        if (wPrev > 0.f || wNext > 0.f) {
          const Rgb p = wPrev > 0.f ? mapPixel(primary, prev, x, y, map0, params.noiseChannel, paramPrev) : c;
          const Rgb q = wNext > 0.f ? mapPixel(primary, next, x, y, map0, params.noiseChannel, paramNext) : c;
          for (int k = 0; k < 3; ++k) c[k] = wCur * c[k] + wPrev * p[k] + wNext * q[k];
        }
      }
      line[x] = toQRgb(c);
    }
  }
  return img;
}

QString pixelValueText(const FrameBuffer& frames, int frame, int x, int y, int noiseChannel) {
  if (frames.empty() || x < 0 || y < 0 || x >= frames.width || y >= frames.height) return {};
  const int f = clampFrame(frames, frame);
  const QString where = QStringLiteral("(%1, %2) ").arg(x).arg(y);
  switch (frames.kind) {
    case FrameKind::Flow: {
      const float dx = frames.at(f, 0, y, x), dy = frames.channels > 1 ? frames.at(f, 1, y, x) : 0.f;
      return where + QStringLiteral("dx %1 dy %2 |v| %3")
                         .arg(dx, 0, 'f', 3).arg(dy, 0, 'f', 3).arg(std::sqrt(dx * dx + dy * dy), 0, 'f', 3);
    }
    case FrameKind::Noise: {
      const int c = clampChannel(frames, noiseChannel);
      return where + QStringLiteral("c%1 %2").arg(c).arg(frames.at(f, c, y, x), 0, 'f', 4);
    }
    default: {
      if (frames.channels >= 3)
        return where + QStringLiteral("R %1 G %2 B %3")
                           .arg(frames.at(f, 0, y, x), 0, 'f', 3)
                           .arg(frames.at(f, 1, y, x), 0, 'f', 3)
                           .arg(frames.at(f, 2, y, x), 0, 'f', 3);
      QString s = where;
      for (int c = 0; c < frames.channels; ++c) s += QStringLiteral("c%1 %2 ").arg(c).arg(frames.at(f, c, y, x), 0, 'f', 3);
      return s.trimmed();
    }
  }
}

}  // namespace ns::ui
