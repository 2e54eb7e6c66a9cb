#include "core/eval/eval_clips.h"

#include <algorithm>
#include <random>
#include <stdexcept>

#include "core/engine/layout_eval.h"

namespace ns {

namespace {

// Same size range as the layout evaluation's boxes (objects 26-40% of the canvas wide).
NormBox randomBox(std::mt19937_64& rng) {
  std::uniform_real_distribution<float> size(0.26f, 0.4f), pos(0.f, 1.f), aspect(0.85f, 1.15f);
  const float w = size(rng), h = std::clamp(w * aspect(rng), 0.22f, 0.45f);
  const float x0 = 0.02f + pos(rng) * (0.96f - w), y0 = 0.02f + pos(rng) * (0.96f - h);
  return {x0, y0, x0 + w, y0 + h};
}

NormBox lerp(const NormBox& a, const NormBox& b, float s) {
  return {a.x0 + (b.x0 - a.x0) * s, a.y0 + (b.y0 - a.y0) * s, a.x1 + (b.x1 - a.x1) * s, a.y1 + (b.y1 - a.y1) * s};
}

}  // namespace

Project makeVideoEvalClip(uint64_t seed, int shortFrames, int frames) {
  if (shortFrames < 2 || frames < shortFrames)
    throw std::invalid_argument("eval clip: need frames >= shortFrames >= 2, got " + std::to_string(frames) + " and " +
                                std::to_string(shortFrames));
  Project p = makeEvalLayout(seed, shortFrames);
  if (frames == shortFrames) return p;
  p.frames = frames;
  // Its own stream, so the short layout's draws (and so its objects) stay those of eval layout.
  std::mt19937_64 rng(seed * 0xD1B54A32D192ED03ull + 0x5EED);
  for (ProjectObject& o : p.objects) {
    const std::vector<Keyframe> keys = o.trajectory.keys();  // 2 (linear) or 3 (Catmull-Rom) keys
    const int spacing = std::max(1, keys.size() > 1 ? keys[1].frame - keys[0].frame : shortFrames - 1);
    NormBox prev = keys.back().box;
    for (int f = keys.back().frame + spacing;; f += spacing) {
      Keyframe key;
      const NormBox next = randomBox(rng);
      if (f >= frames - 1) {
        // The clip ends inside this segment: stop where the object would be at the last frame.
        const int last = frames - 1, from = f - spacing;
        if (last > from) {
          key.frame = last;
          key.box = lerp(prev, next, float(last - from) / float(spacing));
          o.trajectory.setKey(key);
        }
        break;
      }
      key.frame = f;
      key.box = next;
      o.trajectory.setKey(key);
      prev = next;
    }
  }
  return p;
}

}  // namespace ns
