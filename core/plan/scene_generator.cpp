#include "core/plan/scene_generator.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "core/model/vocabulary.h"
#include "core/plan/scene_background.h"
#include "core/plan/scene_canvas.h"
#include "core/plan/scene_object_painter.h"
#include "core/plan/scene_palette.h"
#include "core/plan/scene_rng.h"
#include "core/plan/scene_shape.h"

namespace ns {

namespace {

using scene::SceneRng;

// Seeds of the layout stream and the rendering stream are separate, so render(spec, seed)
// reproduces generate(seed)'s pixels exactly.
uint64_t renderSeed(uint64_t seed) { return scene::mix64(seed ^ 0x52454e4445520001ULL); }
uint64_t layoutSeed(uint64_t seed) { return scene::mix64(seed ^ 0x4c41594f55540002ULL); }

// Side length (normalised) range for an object in a scene with `count` objects: big enough to
// recognise at 64 px, small enough that three fit with little overlap.
void sizeRange(int count, float& lo, float& hi) {
  if (count <= 1) {
    lo = 0.34f, hi = 0.60f;
  } else if (count == 2) {
    lo = 0.28f, hi = 0.46f;
  } else {
    lo = 0.24f, hi = 0.38f;
  }
}

// Accepts a new box if it barely overlaps every earlier one: IoU < 0.2 and it covers less than
// 30 % of the smaller box (IoU alone would allow a small object hidden inside a big one).
bool overlapsTooMuch(const NormBox& b, const std::vector<SceneObject>& placed) {
  for (const SceneObject& o : placed) {
    if (iou(b, o.box) >= 0.2f) return true;
    const float ix = std::max(0.f, std::min(b.x1, o.box.x1) - std::max(b.x0, o.box.x0));
    const float iy = std::max(0.f, std::min(b.y1, o.box.y1) - std::max(b.y0, o.box.y0));
    const float smaller = std::min(b.width() * b.height(), o.box.width() * o.box.height());
    if (ix * iy > 0.3f * smaller) return true;
  }
  return false;
}

scene::SceneLight lightFor(SceneRng& rng) {
  // Always from the upper left and in front, with some spread, so shading reads consistently.
  const float az = rng.range(-0.35f, 0.35f) + 3.14159265f * 1.25f;  // around up-left
  const float elev = rng.range(0.55f, 0.85f);                          // z component
  const float r = std::sqrt(1.f - elev * elev);
  return {r * std::cos(az), r * std::sin(az), elev};
}

}  // namespace

GeneratedScene SceneGenerator::generate(uint64_t seed) const {
  SceneRng rng(layoutSeed(seed));
  const auto& backgrounds = Vocabulary::backgrounds();
  const auto& shapes = Vocabulary::shapes();
  const auto& colours = Vocabulary::colours();
  SceneSpec spec;
  spec.background = backgrounds[static_cast<size_t>(rng.index(static_cast<int>(backgrounds.size())))];
  const int lo = std::max(1, m_options.minObjects);
  const int hi = std::max(lo, m_options.maxObjects);
  const int count = lo + rng.index(hi - lo + 1);

  // The horizon comes from the render stream of the same seed, so objects can stand on the
  // ground that render() will paint.
  const scene::BackgroundKind bg = scene::SceneBackground::fromName(spec.background);
  const scene::BackgroundParams bp = scene::SceneBackground::params(bg, renderSeed(seed));
  const bool grounded = scene::SceneBackground::hasGround(bg);

  float sLo, sHi;
  sizeRange(count, sLo, sHi);
  const float margin = 0.03f;
  for (int i = 0; i < count; ++i) {
    SceneObject o;
    o.shape = shapes[static_cast<size_t>(rng.index(static_cast<int>(shapes.size())))];
    o.colour = colours[static_cast<size_t>(rng.index(static_cast<int>(colours.size())))];
    const scene::ShapeKind kind = scene::SceneShape::fromName(o.shape);
    float aspect = scene::SceneShape::aspect(kind);
    if (kind == scene::ShapeKind::Box || kind == scene::ShapeKind::Triangle) aspect *= rng.range(0.85f, 1.2f);
    float side = rng.range(sLo, sHi);
    bool placed = false;
    // Rejection sampling; shrink a little after every 20 failed tries.
    for (int attempt = 0; attempt < 120 && !placed; ++attempt) {
      if (attempt > 0 && attempt % 20 == 0) side = std::max(0.2f, side * 0.9f);
      const float w = side * std::sqrt(aspect), h = side / std::sqrt(aspect);
      float yMin = margin, yMax = 1.f - margin - h;
      if (grounded) {
        // Keep the base on the ground: at least a little below the horizon.
        yMin = std::max(yMin, std::min(bp.horizon + 0.08f, 1.f - margin) - h);
      }
      if (yMax < yMin) yMin = yMax;
      const float x0 = rng.range(margin, 1.f - margin - w);
      const float y0 = rng.range(yMin, yMax);
      const NormBox b{x0, y0, x0 + w, y0 + h};
      if (!overlapsTooMuch(b, spec.objects)) {
        o.box = b;
        placed = true;
      }
    }
    if (placed) spec.objects.push_back(o);  // a crowded scene just gets fewer objects
  }
  return render(spec, seed);
}

GeneratedScene SceneGenerator::render(const SceneSpec& spec, uint64_t seed) const {
  const int size = std::max(1, m_options.size);
  SceneRng rng(renderSeed(seed));
  const scene::BackgroundKind bg = scene::SceneBackground::fromName(spec.background);
  const scene::BackgroundParams bp = scene::SceneBackground::params(bg, renderSeed(seed));
  const bool grounded = scene::SceneBackground::hasGround(bg);
  scene::SceneCanvas canvas(size);
  scene::SceneBackground::paint(canvas, bp);
  const scene::SceneLight light = lightFor(rng);
  for (const SceneObject& o : spec.objects) {
    const scene::ShapeKind kind = scene::SceneShape::fromName(o.shape);
    const uint32_t texSeed = static_cast<uint32_t>(rng.next() >> 32);
    if (kind == scene::ShapeKind::Invalid) continue;
    std::array<float, 3> rgb{0.5f, 0.5f, 0.5f};
    ScenePalette::rgb(o.colour, rgb);
    // Slight per-object variation of the paint (±4 % brightness), never enough to change its name.
    const float vary = 0.96f + 0.08f * scene::hash2(static_cast<int32_t>(texSeed), 3, 11u);
    const scene::Rgb colour{rgb[0] * vary, rgb[1] * vary, rgb[2] * vary};
    scene::SceneObjectPainter::paintShadow(canvas, kind, o.box, light, grounded);
    scene::SceneObjectPainter::paintObject(canvas, kind, colour, o.box, light, texSeed);
  }

  at::Tensor image = at::empty({3, size, size}, at::TensorOptions().dtype(at::kFloat));
  float* out = image.data_ptr<float>();
  const size_t plane = static_cast<size_t>(size) * static_cast<size_t>(size);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const scene::Rgb& c = canvas.at(x, y);
      const size_t i = static_cast<size_t>(y) * static_cast<size_t>(size) + static_cast<size_t>(x);
      out[i] = 2.f * scene::clamp01(c.r) - 1.f;
      out[plane + i] = 2.f * scene::clamp01(c.g) - 1.f;
      out[2 * plane + i] = 2.f * scene::clamp01(c.b) - 1.f;
    }
  }
  GeneratedScene result;
  result.image = image;
  result.spec = spec;
  result.caption = Vocabulary::caption(spec);
  return result;
}

}  // namespace ns
