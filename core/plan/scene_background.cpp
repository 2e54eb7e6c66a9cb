#include "core/plan/scene_background.h"

#include <cmath>

#include "core/plan/scene_rng.h"

namespace ns::scene {

namespace {

constexpr float kTwoPi = 6.28318530718f;

// Daytime sky over [0, bottom]: deep blue at the top, hazy near the horizon.
Rgb daySky(float v, float bottom, const Rgb& top, const Rgb& haze) {
  const float t = clamp01(v / std::max(bottom, 1e-3f));
  return lerp(top, haze, t * std::sqrt(t));
}

// Soft cumulus-like clouds: thresholded fractal noise, lit from above.
Rgb addClouds(Rgb c, float u, float v, int size, uint32_t seed, float amount) {
  const float n = fbm(u + 0.37f, v * 2.2f, 3.f, 3.f, 4, size, seed ^ 0xc10dU);
  const float density = smoothstep(0.05f, 0.45f, n) * amount;
  if (density <= 0.f) return c;
  const float shade = 0.88f + 0.12f * clamp01(0.5f - fbm(u, v * 2.2f + 0.05f, 3.f, 3.f, 3, size, seed ^ 0xc10dU));
  return lerp(c, Rgb{0.97f, 0.97f, 0.99f} * shade, density);
}

Rgb skyPixel(float u, float v, const BackgroundParams& p, int size) {
  Rgb c = daySky(v, 1.f, {0.18f, 0.42f, 0.85f}, {0.62f, 0.80f, 0.97f});
  return addClouds(c, u, v, size, p.texSeed, 0.8f);
}

Rgb grassPixel(float u, float v, const BackgroundParams& p, int size) {
  const float h = p.horizon;
  if (v < h) {
    Rgb c = daySky(v, h, {0.25f, 0.50f, 0.88f}, {0.75f, 0.87f, 0.97f});
    return addClouds(c, u, v, size, p.texSeed, 0.5f * (1.f - v / h));
  }
  const float d = (v - h) / (1.f - h);  // 0 at the horizon, 1 at the bottom edge
  // Far field is lighter and hazier; the near field darker and more saturated.
  Rgb c = lerp(Rgb{0.48f, 0.68f, 0.30f}, Rgb{0.20f, 0.50f, 0.12f}, std::sqrt(d * std::sqrt(d)));  // d^0.75
  // Tufts: noise a little stretched vertically, stronger in the near field; large patches;
  // mowing stripes that converge in perspective (constant along lines through a vanishing point).
  const float tufts = fbm(u, v, 18.f, 10.f, 3, size, p.texSeed ^ 0x9a55U);
  const float patches = fbm(u, v, 3.f, 5.f, 3, size, p.texSeed ^ 0x9a56U);
  const float X = (u - p.vanishX) / (v - h + 0.25f);
  const float stripes = std::sin(kTwoPi * 1.6f * X) * bandLimit(1.6f * 1.f / ((v - h + 0.25f) * static_cast<float>(size)));
  c = c * (1.f + 0.30f * tufts * (0.5f + 0.5f * d) + 0.14f * patches + 0.06f * stripes);
  // A soft line of distant bushes right at the horizon.
  const float bush = smoothstep(0.035f, 0.f, v - h) * (0.6f + 0.4f * fbm(u, 0.f, 9.f, 1.f, 2, size, p.texSeed));
  return lerp(c, Rgb{0.16f, 0.36f, 0.14f}, 0.6f * bush);
}

Rgb seaPixel(float u, float v, const BackgroundParams& p, int size) {
  const float h = p.horizon;
  if (v < h) {
    Rgb c = daySky(v, h, {0.22f, 0.48f, 0.88f}, {0.78f, 0.88f, 0.97f});
    return addClouds(c, u, v, size, p.texSeed, 0.45f * (1.f - v / h));
  }
  const float d = (v - h) / (1.f - h);
  Rgb c = lerp(Rgb{0.32f, 0.58f, 0.80f}, Rgb{0.04f, 0.24f, 0.50f}, std::sqrt(d * std::sqrt(d)));
  // Wave crests: phase grows like log(depth), so lines crowd towards the horizon; each crest
  // wobbles sideways with noise. Crests finer than a pixel fade out instead of aliasing.
  const float k = p.style == 0 ? 3.0f : 4.2f;
  const float z = d + 0.06f;
  const float wobble = 1.2f * fbm(u, v, 3.f, 6.f, 2, size, p.texSeed ^ 0x5eaU);
  const float phase = k * std::log(z) * kTwoPi / 2.f + wobble + 3.f * u * (0.3f + d);
  const float cyclesPerPixel = k / (2.f * z * (1.f - h) * static_cast<float>(size));
  const float sw = 0.5f + 0.5f * std::sin(phase);
  const float limit = bandLimit(cyclesPerPixel);
  const float crest = sw * sw * sw * sw * sw * sw * limit;
  const float trough = (1.f - sw) * limit;
  c = c * (1.f - 0.18f * trough) + Rgb{0.35f, 0.42f, 0.45f} * (crest * (0.4f + 0.6f * d));
  // A bright glint band right below the horizon.
  return lerp(c, Rgb{0.85f, 0.92f, 0.98f}, 0.35f * smoothstep(0.03f, 0.f, v - h));
}

Rgb desertPixel(float u, float v, const BackgroundParams& p, int size) {
  const float h = p.horizon;
  if (v < h) return daySky(v, h, {0.38f, 0.60f, 0.90f}, {0.98f, 0.88f, 0.72f});
  // Three dune layers; nearer dunes reach higher on the screen... each ridge is a slow sine.
  Rgb sand{0.93f, 0.74f, 0.46f};
  float layer = -1.f, arg = 0.f, ridge = 0.f;
  for (int i = 0; i < 3; ++i) {
    const float fi = static_cast<float>(i);
    const float base = h + (1.f - h) * (0.05f + 0.28f * fi);
    const float freq = 1.3f + 0.9f * fi;
    const float amp = 0.035f + 0.03f * fi;
    const float a = kTwoPi * freq * u + p.phase * (1.f + fi);
    const float r = base - amp * (0.5f + 0.5f * std::sin(a));
    if (v >= r) layer = fi, arg = a, ridge = r;  // the nearest dune whose crest is above v
  }
  float shade = 1.f;
  if (layer >= 0.f) {
    // Slope of the ridge decides lit (facing the sun on the left) vs shadowed flank, strongest
    // just below the crest.
    const float slope = std::cos(arg);
    const float below = v - ridge;
    const float e14 = std::exp(-below * 14.f);
    const float e40 = std::exp(-below * 40.f);
    shade = 1.f + 0.16f * slope * e14 - (slope < 0.f ? 0.10f * e40 : 0.f);
  } else {
    layer = 0.f;
  }
  Rgb c = sand * ((0.9f + 0.04f * layer) * shade);
  // Wind ripples, diagonal, fading where they would alias.
  const float rf = 12.f;
  const float ripple = std::sin(kTwoPi * (rf * v + 3.f * u) + 3.f * fbm(u, v, 4.f, 4.f, 2, size, p.texSeed));
  c = c * (1.f + 0.05f * ripple * bandLimit(rf / static_cast<float>(size)));
  c = c * (1.f + 0.06f * fbm(u, v, 24.f, 24.f, 2, size, p.texSeed ^ 0xd0eU));
  // Haze at the horizon.
  return lerp(c, Rgb{0.98f, 0.88f, 0.74f}, 0.5f * smoothstep(0.06f, 0.f, v - h));
}

// Night: rolling hills; the sky is everything above them.
float nightHill(float u, const BackgroundParams& p, int size) {
  return p.horizon - 0.05f * (0.5f + 0.5f * std::sin(kTwoPi * 1.4f * u + p.phase)) -
         0.025f * fbm(u, 0.f, 6.f, 1.f, 2, size, p.texSeed);
}

Rgb nightPixel(float u, float v, const BackgroundParams& p, int size) {
  const float hill = nightHill(u, p, size);
  if (v >= hill) {
    Rgb g{0.05f, 0.08f, 0.13f};
    g = g * (1.f + 0.25f * fbm(u, v, 8.f, 8.f, 3, size, p.texSeed ^ 0x41U));
    return lerp(g, Rgb{0.10f, 0.14f, 0.24f}, 0.5f * smoothstep(0.04f, 0.f, v - hill));  // rim light
  }
  Rgb c = lerp(Rgb{0.02f, 0.03f, 0.11f}, Rgb{0.10f, 0.15f, 0.34f}, [](float t) { return t * std::sqrt(t); }(clamp01(v / hill)));
  // Crescent moon with a soft glow: a disc minus a shifted disc.
  const float mr = 0.065f;
  const float dm = std::sqrt((u - p.moonX) * (u - p.moonX) + (v - p.moonY) * (v - p.moonY));
  const float ds = std::sqrt((u - p.moonX - 0.035f) * (u - p.moonX - 0.035f) + (v - p.moonY + 0.02f) * (v - p.moonY + 0.02f));
  const float px = 1.f / static_cast<float>(size);
  const float disc = clamp01(0.5f - (dm - mr) / px) * clamp01(0.5f + (ds - mr * 0.92f) / px);
  if (dm < 0.35f) c = c + Rgb{0.25f, 0.27f, 0.32f} * (0.5f * std::exp(-std::max(0.f, dm - mr) * 18.f));
  return lerp(c, Rgb{0.96f, 0.94f, 0.82f}, disc);
}

Rgb snowPixel(float u, float v, const BackgroundParams& p, int size) {
  const float h = p.horizon;
  if (v < h) {
    // Overcast sky and a far blue-grey ridge.
    const float ridge = h - 0.06f * (0.5f + 0.5f * std::sin(kTwoPi * 2.1f * u + p.phase)) -
                        0.03f * fbm(u, 0.f, 8.f, 1.f, 3, size, p.texSeed);
    if (v > ridge) return Rgb{0.66f, 0.72f, 0.82f} * (1.f + 0.05f * fbm(u, v, 12.f, 12.f, 2, size, p.texSeed));
    return daySky(v, h, {0.55f, 0.66f, 0.82f}, {0.86f, 0.90f, 0.95f});
  }
  const float d = (v - h) / (1.f - h);
  Rgb c{0.95f, 0.96f, 0.99f};
  // Soft drifts: low-frequency shading tinted blue in the hollows.
  const float drift = fbm(u, v, 3.f, 7.f, 4, size, p.texSeed ^ 0x5a0U);
  const float hollow = smoothstep(-0.25f, 0.45f, drift);
  c = lerp(c, Rgb{0.68f, 0.77f, 0.92f}, 0.7f * hollow * (0.45f + 0.55f * d));
  c = c * (1.f + 0.05f * fbm(u, v, 14.f, 14.f, 2, size, p.texSeed ^ 0x5a1U));
  return lerp(c, Rgb{0.80f, 0.84f, 0.90f}, 0.4f * smoothstep(0.05f, 0.f, v - h));
}

Rgb roomPixel(float u, float v, const BackgroundParams& p, int size) {
  static const Rgb walls[4] = {{0.93f, 0.87f, 0.74f}, {0.76f, 0.86f, 0.80f}, {0.74f, 0.82f, 0.92f}, {0.95f, 0.80f, 0.70f}};
  const float h = p.horizon;
  const float px = 1.f / static_cast<float>(size);
  const float board = 0.035f;  // skirting board height
  if (v < h - board) {
    Rgb c = walls[p.style % 4];
    // Faint wallpaper stripes and a soft light falloff from the top-left lamp.
    const float sf = 14.f;
    const float stripe = std::sin(kTwoPi * sf * u) * bandLimit(sf / static_cast<float>(size));
    const float light = 1.05f - 0.22f * std::sqrt((u - 0.2f) * (u - 0.2f) + v * v);
    return c * (light * (1.f + 0.035f * stripe + 0.03f * fbm(u, v, 10.f, 10.f, 2, size, p.texSeed)));
  }
  if (v < h) return Rgb{0.96f, 0.95f, 0.92f} * (v < h - board + px ? 0.85f : 1.f);
  // Floor boards converging to a vanishing point above the wall: X is constant along each
  // board edge, so stripes in X are lines in perspective.
  const float vpY = h - 0.9f;
  const float X = (u - p.vanishX) / (v - vpY);
  const float boards = 7.f;
  const float fx = X * boards;
  const float cell = std::floor(fx);
  const float f = fx - cell;
  // Board width on screen in pixels decides whether the seams can be drawn.
  const float boardPx = (v - vpY) / boards * static_cast<float>(size);
  const float seam = bandLimit(1.f / std::max(boardPx, 1e-3f)) * smoothstep(0.08f, 0.f, std::min(f, 1.f - f));
  const bool wood = (p.style / 4) % 2 == 0;
  Rgb base = wood ? Rgb{0.72f, 0.50f, 0.30f} : Rgb{0.55f, 0.57f, 0.62f};
  base = base * (0.92f + 0.16f * hash2(static_cast<int32_t>(cell), 7, p.texSeed));  // per-board tone
  const float grain = fbm(X * 0.5f, v, 6.f, 40.f, 2, size, p.texSeed ^ 0xf100U);
  Rgb c = base * (1.f + (wood ? 0.10f : 0.04f) * grain) * (1.f - 0.35f * seam);
  // Darker under the wall (contact shadow), lighter towards the viewer.
  const float d = (v - h) / (1.f - h);
  return c * (0.82f + 0.22f * d);
}

// Stars: one candidate per cell of a 22×22 grid over the image, splatted as a Gaussian whose
// width never drops below about half a pixel (energy kept constant, so small renders keep their
// stars). Splatting per star is much cheaper than looking up neighbour cells per pixel.
void splatStars(SceneCanvas& canvas, const BackgroundParams& p, const Rgb& gain) {
  const int n = canvas.size();
  const float fn = static_cast<float>(n);
  const int cells = 22;
  const float sigma0 = 0.0045f;
  const float sigma = std::max(sigma0, 0.55f / fn);
  const float gainStar = 1.6f * (sigma0 * sigma0) / (sigma * sigma);
  const float inv2s2 = 1.f / (2.f * sigma * sigma);
  const float reach = 3.f * sigma;
  for (int j = 0; j < cells; ++j) {
    for (int i = 0; i < cells; ++i) {
      if (hash2(i, j, p.texSeed ^ 0x57a4U) > 0.45f) continue;
      const float sx = (static_cast<float>(i) + hash2(i, j, p.texSeed ^ 0x57a5U)) / cells;
      const float sy = (static_cast<float>(j) + hash2(i, j, p.texSeed ^ 0x57a6U)) / cells;
      if (sy > p.horizon) continue;
      const float b = (0.4f + 0.6f * hash2(i, j, p.texSeed ^ 0x57a7U)) * gainStar;
      const int x0 = std::max(0, static_cast<int>(std::floor((sx - reach) * fn)));
      const int x1 = std::min(n - 1, static_cast<int>(std::ceil((sx + reach) * fn)));
      const int y0 = std::max(0, static_cast<int>(std::floor((sy - reach) * fn)));
      const int y1 = std::min(n - 1, static_cast<int>(std::ceil((sy + reach) * fn)));
      for (int x = x0; x <= x1; ++x) {
        const float u = canvas.coord(x);
        if (canvas.coord(y1) >= nightHill(u, p, n) - 0.01f) continue;  // behind the hills
        for (int y = y0; y <= y1; ++y) {
          const float dx = u - sx, dy = canvas.coord(y) - sy;
          const float a = std::min(1.f, b * std::exp(-(dx * dx + dy * dy) * inv2s2));
          canvas.at(x, y) = canvas.at(x, y) + Rgb{0.95f, 0.95f, 1.f} * gain * a;
        }
      }
    }
  }
}

}  // namespace

BackgroundKind SceneBackground::fromName(const std::string& name) {
  if (name == "sky") return BackgroundKind::Sky;
  if (name == "grass") return BackgroundKind::Grass;
  if (name == "sea") return BackgroundKind::Sea;
  if (name == "desert") return BackgroundKind::Desert;
  if (name == "night") return BackgroundKind::Night;
  if (name == "snow") return BackgroundKind::Snow;
  if (name == "room") return BackgroundKind::Room;
  return BackgroundKind::Invalid;
}

bool SceneBackground::hasGround(BackgroundKind kind) {
  return kind != BackgroundKind::Sky && kind != BackgroundKind::Night && kind != BackgroundKind::Invalid;
}

BackgroundParams SceneBackground::params(BackgroundKind kind, uint64_t seed) {
  SceneRng rng(mix64(seed ^ 0xb4c6b1e5d3a2f001ULL));
  BackgroundParams p;
  p.kind = kind;
  switch (kind) {
    case BackgroundKind::Grass: p.horizon = rng.range(0.26f, 0.44f); break;
    case BackgroundKind::Sea: p.horizon = rng.range(0.30f, 0.46f); break;
    case BackgroundKind::Desert: p.horizon = rng.range(0.28f, 0.42f); break;
    case BackgroundKind::Night: p.horizon = rng.range(0.72f, 0.84f); break;
    case BackgroundKind::Snow: p.horizon = rng.range(0.28f, 0.42f); break;
    case BackgroundKind::Room: p.horizon = rng.range(0.45f, 0.62f); break;
    default: p.horizon = 1.f; break;
  }
  // Small hue shift and brightness change: at most a few percent per channel, so the scene
  // still reads as the same kind of place.
  p.tint = {rng.range(0.94f, 1.06f), rng.range(0.95f, 1.05f), rng.range(0.94f, 1.06f)};
  p.brightness = rng.range(0.92f, 1.06f);
  p.texSeed = static_cast<uint32_t>(rng.next() >> 32);
  p.moonX = rng.range(0.12f, 0.88f);
  p.moonY = rng.range(0.10f, 0.24f);
  p.vanishX = rng.range(0.3f, 0.7f);
  p.style = rng.index(8);
  p.phase = rng.range(0.f, kTwoPi);
  return p;
}

void SceneBackground::paint(SceneCanvas& canvas, const BackgroundParams& p) {
  const int n = canvas.size();
  Rgb (*fn)(float, float, const BackgroundParams&, int) = nullptr;
  switch (p.kind) {
    case BackgroundKind::Sky: fn = skyPixel; break;
    case BackgroundKind::Grass: fn = grassPixel; break;
    case BackgroundKind::Sea: fn = seaPixel; break;
    case BackgroundKind::Desert: fn = desertPixel; break;
    case BackgroundKind::Night: fn = nightPixel; break;
    case BackgroundKind::Snow: fn = snowPixel; break;
    case BackgroundKind::Room: fn = roomPixel; break;
    default: fn = skyPixel; break;
  }
  const Rgb gain = p.tint * p.brightness;
  for (int y = 0; y < n; ++y) {
    const float v = canvas.coord(y);
    for (int x = 0; x < n; ++x) canvas.at(x, y) = fn(canvas.coord(x), v, p, n) * gain;
  }
  if (p.kind == BackgroundKind::Night) splatStars(canvas, p, gain);
}

}  // namespace ns::scene
