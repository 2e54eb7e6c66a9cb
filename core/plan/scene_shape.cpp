#include "core/plan/scene_shape.h"

#include <algorithm>
#include <cmath>

#include "core/plan/scene_rng.h"

namespace ns::scene {

namespace {

// Cube proportions: how far the back face is shifted right/up (native units of the [-1,1] box).
constexpr float kCubeDx = 0.5f;
constexpr float kCubeDy = 0.42f;
// Ring: centre-line radius and tube radius (outer edge at 1).
constexpr float kRingR = 0.76f;
constexpr float kRingTube = 0.24f;
// Star: outer radius 1, inner radius factor (chunkier than a regular star: reads better small).
constexpr float kStarInner = 0.5f;

float length2(float x, float y) { return std::sqrt(x * x + y * y); }

// Signed distance to a convex polygon whose vertices go clockwise on screen (y down). Exact inside; outside
// near vertices it underestimates a little, which only softens a corner's anti-aliasing.
template <int N>
float convexSdf(const float (&px)[N], const float (&py)[N], float x, float y) {
  float d = -1e30f;
  for (int i = 0; i < N; ++i) {
    const int j = (i + 1) % N;
    const float ex = px[j] - px[i], ey = py[j] - py[i];
    const float len = length2(ex, ey);
    // Outward normal for vertices listed clockwise on screen (y down).
    const float nx = ey / len, ny = -ex / len;
    d = std::max(d, (x - px[i]) * nx + (y - py[i]) * ny);
  }
  return d;
}

float cubeSdf(float x, float y) {
  // Silhouette hexagon, clockwise on screen.
  static const float hx[6] = {-1.f, -1.f + kCubeDx, 1.f, 1.f, 1.f - kCubeDx, -1.f};
  static const float hy[6] = {-1.f + kCubeDy, -1.f, -1.f, 1.f - kCubeDy, 1.f, 1.f};
  return convexSdf(hx, hy, x, y);
}

float triangleSdf(float x, float y) {
  static const float tx[3] = {0.f, 1.f, -1.f};
  static const float ty[3] = {-1.f, 1.f, 1.f};
  return convexSdf(tx, ty, x, y);
}

// Inigo Quilez's sdStar5 (y up, top point at (0,r)); called with y flipped.
float star5Sdf(float px, float py, float r, float rf) {
  const float k1x = 0.809016994375f, k1y = -0.587785252292f;
  const float k2x = -k1x, k2y = k1y;
  px = std::fabs(px);
  float d1 = std::max(k1x * px + k1y * py, 0.f);
  px -= 2.f * d1 * k1x;
  py -= 2.f * d1 * k1y;
  float d2 = std::max(k2x * px + k2y * py, 0.f);
  px -= 2.f * d2 * k2x;
  py -= 2.f * d2 * k2y;
  px = std::fabs(px);
  py -= r;
  const float bax = rf * (-k1y) - 0.f, bay = rf * k1x - 1.f;
  const float h = clamp01((px * bax + py * bay) / (bax * bax + bay * bay) / r) * r;
  const float dx = px - bax * h, dy = py - bay * h;
  const float s = (py * bax - px * bay) >= 0.f ? 1.f : -1.f;
  return length2(dx, dy) * s;
}

// Inigo Quilez's sdHeart (y up, tip at the origin); called with y flipped.
float heartSdf(float px, float py) {
  px = std::fabs(px);
  if (py + px > 1.f) return length2(px - 0.25f, py - 0.75f) - 0.35355339f;
  const float a = px * px + (py - 1.f) * (py - 1.f);
  const float m = 0.5f * std::max(px + py, 0.f);
  const float b = (px - m) * (px - m) + (py - m) * (py - m);
  return std::sqrt(std::min(a, b)) * (px - py >= 0.f ? 1.f : -1.f);
}

float coverageOf(float d, float pixel) { return clamp01(0.5f - d / pixel); }

// Normal of a bevelled/puffy flat shape: flat in the middle, tilting outwards over the last
// `bevel` native units before the edge. The outward direction is the SDF gradient.
void pillowNormal(ShapeKind kind, float x, float y, float d, float bevel, ShapeSample& s) {
  const float e = 0.01f;
  float gx = SceneShape::sdf(kind, x + e, y) - SceneShape::sdf(kind, x - e, y);
  float gy = SceneShape::sdf(kind, x, y + e) - SceneShape::sdf(kind, x, y - e);
  const float gl = length2(gx, gy);
  if (gl < 1e-6f) return;
  gx /= gl;
  gy /= gl;
  const float t = 1.f - clamp01(-d / bevel);  // 0 deep inside, 1 at the edge
  const float slope = 1.6f * t * t;
  const float n = std::sqrt(1.f + slope * slope);
  s.nx = gx * slope / n;
  s.ny = gy * slope / n;
  s.nz = 1.f / n;
}

}  // namespace

ShapeKind SceneShape::fromName(const std::string& name) {
  if (name == "ball") return ShapeKind::Ball;
  if (name == "box") return ShapeKind::Box;
  if (name == "star") return ShapeKind::Star;
  if (name == "ring") return ShapeKind::Ring;
  if (name == "triangle") return ShapeKind::Triangle;
  if (name == "heart") return ShapeKind::Heart;
  return ShapeKind::Invalid;
}

NativeBox SceneShape::nativeBox(ShapeKind kind) {
  switch (kind) {
    case ShapeKind::Star:  // points at -90° + k·72°: x = ±cos 18°, bottom points at y = sin 54°
      return {-0.95105652f, -1.f, 0.95105652f, 0.80901699f};
    case ShapeKind::Heart:  // lobes: circles at (±0.25, 0.75) of radius √2/4, tip at 0 (y up)
      return {-0.60355339f, -1.10355339f, 0.60355339f, 0.f};
    default:
      return {-1.f, -1.f, 1.f, 1.f};
  }
}

float SceneShape::sdf(ShapeKind kind, float x, float y) {
  switch (kind) {
    case ShapeKind::Ball: return length2(x, y) - 1.f;
    case ShapeKind::Box: return cubeSdf(x, y);
    case ShapeKind::Star: return star5Sdf(x, -y, 1.f, kStarInner);
    case ShapeKind::Ring: return std::fabs(length2(x, y) - kRingR) - kRingTube;
    case ShapeKind::Triangle: return triangleSdf(x, y);
    case ShapeKind::Heart: return heartSdf(x, -y);
    default: return 1e30f;
  }
}

ShapeSample SceneShape::sample(ShapeKind kind, float x, float y, float pixel) {
  ShapeSample s;
  const float d = sdf(kind, x, y);
  s.coverage = coverageOf(d, pixel);
  if (s.coverage <= 0.f) return s;
  s.depth = std::max(0.f, -d);
  switch (kind) {
    case ShapeKind::Ball: {
      const float r2 = std::min(x * x + y * y, 1.f);
      s.nx = x;
      s.ny = y;
      s.nz = std::sqrt(1.f - r2);
      const float n = std::sqrt(s.nx * s.nx + s.ny * s.ny + s.nz * s.nz);
      s.nx /= n;
      s.ny /= n;
      s.nz /= n;
      break;
    }
    case ShapeKind::Box: {
      // Faces blended over one pixel across their shared edges, so inner edges are
      // anti-aliased too. Front: x < 1-dx and y > -1+dy.
      const float dFront = std::max(x - (1.f - kCubeDx), (-1.f + kCubeDy) - y);
      const float wFront = coverageOf(dFront, pixel);
      // Top vs side: the diagonal from (1-dx,-1+dy) to (1,-1); top lies up-left of it.
      const float ex = kCubeDx, ey = -kCubeDy, el = length2(ex, ey);
      const float dDiag = ((x - (1.f - kCubeDx)) * ey - (y - (-1.f + kCubeDy)) * ex) / el;
      const float wTop = (1.f - wFront) * coverageOf(-dDiag, pixel);
      const float wSide = 1.f - wFront - wTop;
      // Face normals: front faces the viewer, top tilts up, side tilts right.
      const float tnY = -0.78f, tnZ = 0.62f, snX = 0.78f, snZ = 0.62f;
      s.nx = wSide * snX;
      s.ny = wTop * tnY;
      s.nz = wFront + wTop * tnZ + wSide * snZ;
      const float n = std::sqrt(s.nx * s.nx + s.ny * s.ny + s.nz * s.nz);
      s.nx /= n;
      s.ny /= n;
      s.nz /= n;
      break;
    }
    case ShapeKind::Ring: {
      const float rho = std::max(length2(x, y), 1e-4f);
      const float t = std::max(-1.f, std::min(1.f, (rho - kRingR) / kRingTube));
      s.nx = t * x / rho;
      s.ny = t * y / rho;
      s.nz = std::sqrt(std::max(0.f, 1.f - t * t));
      break;
    }
    case ShapeKind::Star: pillowNormal(kind, x, y, d, 0.32f, s); break;
    case ShapeKind::Triangle: pillowNormal(kind, x, y, d, 0.35f, s); break;
    case ShapeKind::Heart: pillowNormal(kind, x, y, d, 0.45f, s); break;
    default: break;
  }
  return s;
}

}  // namespace ns::scene
