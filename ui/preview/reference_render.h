#pragma once
// CPU reference of every preview colour mapping. The QPainter fallback draws with it, the tests
// compare the Vulkan output against it, and the benchmark uses it as the QPainter baseline.
// The formulas match shaders/preview.frag line for line; change both together.
// Thread: pure functions, callable from any thread.

#include <QImage>
#include <QString>
#include <array>

#include "core/util/frame_buffer.h"
#include "ui/preview/preview_mode.h"

namespace ns::ui {

using Rgb = std::array<float, 3>;

// Population standard deviation of one channel of one frame (0 for an empty frame).
float channelSigma(const FrameBuffer& frames, int frame, int channel);
// Largest |(dx, dy)| of a flow frame (channels 0 and 1).
float flowMaxMagnitude(const FrameBuffer& frames, int frame);
// The per-frame number a colour map needs: Heat -> the ±range (3σ, or 1 when σ is ~0);
// Wheel -> the max magnitude; Rgb -> 1.
float colourMapParameter(const FrameBuffer& frames, int frame, ColourMap map, int channel);

// Diverging colour map (dark blue .. white .. dark red) of t in [-1, 1] (clamped).
Rgb heatColour(float t);
// Middlebury colour wheel: hue from the direction of (dx, dy), saturation from |v| / maxMagnitude
// (0 -> white). maxMagnitude <= 0 gives white.
Rgb wheelColour(float dx, float dy, float maxMagnitude);
// Colour of pixel (x, y) of one frame under a map; `param` from colourMapParameter.
Rgb mapPixel(const FrameBuffer& frames, int frame, int x, int y, ColourMap map, int channel, float param);

// The picture the preview shows for `params`, at the primary's size (Format_RGB32), without the
// view transform and without the SplitAB divider line (both belong to the view). Secondary frames
// (SplitAB) are sampled at the same normalised position, so they may have another size. Returns
// a null QImage when primary is empty.
QImage referenceRender(const FrameBuffer& primary, const PreviewParams& params,
                       const FrameBuffer* secondary = nullptr);

// One-line text of the raw values at (x, y) for the pixel inspector, e.g. "(12, 40) R 0.50 G 0.25 B 1.00".
QString pixelValueText(const FrameBuffer& frames, int frame, int x, int y, int noiseChannel);

// Clamps a frame index into [0, count-1] (0 for an empty buffer).
inline int clampFrame(const FrameBuffer& frames, int frame) {
  if (frames.count <= 0) return 0;
  return frame < 0 ? 0 : (frame >= frames.count ? frames.count - 1 : frame);
}

}  // namespace ns::ui
