#pragma once
// EditMask: the region a noise edit of an inverted photo or clip is limited to, painted with the
// window's mask brush. It is kept as the list of operations that made it (brush strokes, erase
// strokes, invert, clear), not as pixels: the project file stays small and readable, one stroke
// is one undo step, and the mask rasterises exactly at whatever size the edit needs.
//
// Raster rules (rasterize): start at 0 (keep the source) and apply the operations in order to the
// frames they name. A stroke's coverage c at a pixel comes from its distance d to the stroke's
// polyline: 1 up to radius·hardness, a smoothstep down to 0 at radius. Paint: v = max(v, c);
// erase: v = min(v, 1 − c); invert: v = 1 − v; clear: v = 0. Then a Gaussian feather (σ =
// feather · shorter side), then 8-bit levels round(v·255) — the same levels a mask PNG holds, so
// `edit --mask PNG` with the rasterised PNG gives exactly the window's result.
//
// A mask with no operations is inactive: the edit applies everywhere. Pure values; any thread.

#include <cstdint>
#include <string>
#include <vector>

#include "core/util/frame_buffer.h"

namespace ns {

// Persisted by name ("paint", "erase", "invert", "clear"); add new values at the end.
enum class MaskOpKind { Invalid = 0, Paint, Erase, Invert, Clear };
std::string maskOpKindName(MaskOpKind k);
MaskOpKind maskOpKindFromName(const std::string& s);

struct MaskPoint {
  float x = 0, y = 0;  // normalised canvas coordinates (0..1 across the canvas)
  bool operator==(const MaskPoint& o) const { return x == o.x && y == o.y; }
};

struct MaskOp {
  MaskOpKind kind = MaskOpKind::Paint;
  int frame = -1;                 // -1: every frame of the clip; otherwise that frame only
  float radius = 0.05f;           // Paint/Erase: brush radius as a fraction of the canvas's shorter side
  float hardness = 0.8f;          // Paint/Erase: 1 = hard edge, 0 = soft from the centre out
  std::vector<MaskPoint> points;  // Paint/Erase: the stroke's path (at least one point)
  bool operator==(const MaskOp& o) const {
    return kind == o.kind && frame == o.frame && radius == o.radius && hardness == o.hardness && points == o.points;
  }
};

// 8-bit grey frames [count][height][width]: 255 = edit, 0 = keep the source.
struct MaskFrames {
  int count = 0, height = 0, width = 0;
  std::vector<uint8_t> data;
  const uint8_t* frame(int i) const { return data.data() + size_t(i) * size_t(height) * size_t(width); }
};

struct EditMask {
  // Limits that keep a hostile project file from making rasterising take forever.
  static constexpr size_t kMaxOps = 10000;
  static constexpr size_t kMaxPointsPerOp = 100000;
  static constexpr float kMaxFeather = 0.25f;

  std::vector<MaskOp> ops;
  float feather = 0.f;  // Gaussian σ as a fraction of the canvas's shorter side (0 = none)

  bool active() const { return !ops.empty(); }
  // Whether some operation names one frame (then each frame has its own mask).
  bool perFrame() const;
  bool operator==(const EditMask& o) const { return ops == o.ops && feather == o.feather; }
  bool operator!=(const EditMask& o) const { return !(*this == o); }

  // The mask of `frame` at width x height, 8-bit levels, row-major.
  std::vector<uint8_t> rasterize(int width, int height, int frame) const;
  // Every frame of a clip of `frames` frames; one frame when no operation names a frame (the
  // same mask for the whole clip, as a single `--mask` PNG gives).
  MaskFrames rasterizeFrames(int width, int height, int frames) const;

  // Value problems, each starting with `path` (e.g. "inversion.mask.ops[3].radius: ...").
  std::vector<std::string> problems(int frames, const std::string& path) const;
};

// The mask as the edit verb takes it (EditRequest::mask): 1 channel, level/255. Both the window
// (a rasterised EditMask) and the CLI (`edit --mask PNG`, media::readMaskImage) go through this.
FrameBuffer maskFramesToBuffer(const MaskFrames& mask);

}  // namespace ns
