#pragma once
// SceneBackground: the shapes-world backgrounds (sky, grass, sea, desert, night, snow, room),
// painted per pixel from normalised coordinates so any output size shows the same picture.
// The per-scene variation (horizon height, tint, brightness, moon position...) is drawn once
// from a seed by params(), independent of the output size. Pure functions: thread-safe.

#include <cstdint>
#include <string>

#include "core/plan/scene_canvas.h"

namespace ns::scene {

enum class BackgroundKind {
  Invalid = 0,  // not a vocabulary background
  Sky,          // blue gradient with soft clouds
  Grass,        // sky band, horizon, textured green field
  Sea,          // sky band, horizon, waves denser towards the horizon
  Desert,       // warm sky, layered shaded dunes with ripples
  Night,        // dark blue sky with stars and a crescent moon over dark hills
  Snow,         // pale sky, white ground with soft blue shading
  Room,         // wall with faint wallpaper stripes, skirting board, floor in perspective
};

struct BackgroundParams {
  BackgroundKind kind = BackgroundKind::Invalid;
  float horizon = 0.5f;                 // normalised y of the horizon / wall-floor edge
  Rgb tint{1.f, 1.f, 1.f};              // per-channel gain (slight hue shift)
  float brightness = 1.f;
  uint32_t texSeed = 0;                 // texture noise seed
  float moonX = 0.8f, moonY = 0.15f;    // night: moon centre
  float vanishX = 0.5f;                 // room: vanishing point of the floor boards
  int style = 0;                        // room: wall colour / floor style; sea: calm or rough
  float phase = 0.f;                    // dunes / hills phase offset
};

class SceneBackground {
 public:
  static BackgroundKind fromName(const std::string& name);
  // Objects rest on a ground below the horizon (everything except sky and night).
  static bool hasGround(BackgroundKind kind);
  static BackgroundParams params(BackgroundKind kind, uint64_t seed);
  static void paint(SceneCanvas& canvas, const BackgroundParams& params);
};

}  // namespace ns::scene
