#pragma once
// PreviewMode and PreviewParams: what the preview shows and how values become colours.
// Plain values, shared by the Vulkan renderer, the QPainter fallback and the CPU reference.

#include "core/util/frame_buffer.h"

namespace ns::ui {

// What the preview draws. Runtime only (not persisted).
enum class PreviewMode {
  Invalid = 0,
  Frame,         // the current frame as RGB (channels 0..2, clamped to [0,1])
  NoiseChannel,  // one channel as a diverging heat map over ±3σ (σ of that channel, that frame)
  FlowWheel,     // channels 0,1 as (dx,dy) on the Middlebury colour wheel, normalised by the max
  SplitAB,       // left of the divider: secondary (source); right: primary (result)
  OnionSkin,     // current frame with the previous and next frames blended in at reduced alpha
};

// How one frame's values become RGB. The numeric values are shared with shaders/preview.frag.
enum class ColourMap {
  Invalid = 0,
  Rgb = 1,    // channels 0..2 clamped to [0,1]; 1 channel = grey, 2 channels = (c0, c1, 0)
  Heat = 2,   // diverging blue-white-red of one channel over [-3σ, +3σ] around 0
  Wheel = 3,  // Middlebury flow colour wheel, magnitude normalised by the frame's max magnitude
};

// Everything that selects the picture (not the zoom/pan, which live in the view).
struct PreviewParams {
  PreviewMode mode = PreviewMode::Frame;
  int frame = 0;               // index into the primary frames (clamped when drawn)
  int noiseChannel = 0;        // channel shown by ColourMap::Heat (clamped to the channel count)
  double splitFraction = 0.5;  // SplitAB divider position as a fraction of the image width
  double onionAlpha = 0.25;    // OnionSkin weight of each neighbour (current gets the rest)
};

// The colour map a frame of `kind` gets in `mode`. Frame/NoiseChannel/FlowWheel force their map;
// SplitAB and OnionSkin map each frame by its kind (Image -> Rgb, Noise -> Heat, Flow -> Wheel).
inline ColourMap colourMapFor(PreviewMode mode, FrameKind kind) {
  switch (mode) {
    case PreviewMode::Frame: return ColourMap::Rgb;
    case PreviewMode::NoiseChannel: return ColourMap::Heat;
    case PreviewMode::FlowWheel: return ColourMap::Wheel;
    default: break;
  }
  switch (kind) {
    case FrameKind::Noise: return ColourMap::Heat;
    case FrameKind::Flow: return ColourMap::Wheel;
    default: return ColourMap::Rgb;
  }
}

}  // namespace ns::ui
