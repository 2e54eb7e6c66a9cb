#include "core/plan/trajectory.h"

#include <algorithm>
#include <cmath>

namespace ns {
namespace {

double lerp(double a, double b, double s) { return a + (b - a) * s; }

// Centre velocity (normalised units per frame) at key i: centred difference of its neighbours'
// slopes, one-sided at the ends. Using frame units (not "per segment") keeps the speed continuous
// across keys that are unevenly spaced.
void tangentAt(const std::vector<Keyframe>& k, size_t i, double& vx, double& vy) {
  auto slope = [&](size_t a, size_t b, double& sx, double& sy) {
    const double df = double(k[b].frame - k[a].frame);
    sx = (double(k[b].box.cx()) - k[a].box.cx()) / df;
    sy = (double(k[b].box.cy()) - k[a].box.cy()) / df;
  };
  const size_t n = k.size();
  if (n < 2) {
    vx = vy = 0;
    return;
  }
  if (i == 0) {
    slope(0, 1, vx, vy);
  } else if (i == n - 1) {
    slope(n - 2, n - 1, vx, vy);
  } else {
    // Catmull-Rom: (P_{i+1} - P_{i-1}) / (f_{i+1} - f_{i-1}).
    const double df = double(k[i + 1].frame - k[i - 1].frame);
    vx = (double(k[i + 1].box.cx()) - k[i - 1].box.cx()) / df;
    vy = (double(k[i + 1].box.cy()) - k[i - 1].box.cy()) / df;
  }
}

double hermite(double p0, double p1, double m0, double m1, double s) {
  const double s2 = s * s, s3 = s2 * s;
  return (2 * s3 - 3 * s2 + 1) * p0 + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * p1 + (s3 - s2) * m1;
}

bool sameBox(const NormBox& a, const NormBox& b) {
  return a.x0 == b.x0 && a.y0 == b.y0 && a.x1 == b.x1 && a.y1 == b.y1;
}

}  // namespace

double applyEasing(Easing easing, double s) {
  s = std::clamp(s, 0.0, 1.0);
  switch (easing) {
    case Easing::EaseIn: return s * s;
    case Easing::EaseOut: return 1 - (1 - s) * (1 - s);
    case Easing::EaseInOut: return s < 0.5 ? 2 * s * s : 1 - 2 * (1 - s) * (1 - s);
    case Easing::Linear:
    default: return s;
  }
}

void Trajectory::setKey(const Keyframe& key) {
  auto it = std::lower_bound(m_keys.begin(), m_keys.end(), key.frame,
                             [](const Keyframe& k, int f) { return k.frame < f; });
  if (it != m_keys.end() && it->frame == key.frame) *it = key;
  else m_keys.insert(it, key);
}

bool Trajectory::removeKey(int frame) {
  auto it = std::find_if(m_keys.begin(), m_keys.end(), [frame](const Keyframe& k) { return k.frame == frame; });
  if (it == m_keys.end()) return false;
  m_keys.erase(it);
  return true;
}

Pose Trajectory::poseAt(double frame) const {
  if (m_keys.empty()) return {};
  if (frame <= m_keys.front().frame) return {m_keys.front().box, m_keys.front().rotationDeg};
  if (frame >= m_keys.back().frame) return {m_keys.back().box, m_keys.back().rotationDeg};
  // Segment i: keys[i].frame <= frame < keys[i+1].frame.
  auto it = std::upper_bound(m_keys.begin(), m_keys.end(), frame,
                             [](double f, const Keyframe& k) { return f < k.frame; });
  const size_t i = size_t(it - m_keys.begin()) - 1;
  const Keyframe& a = m_keys[i];
  const Keyframe& b = m_keys[i + 1];
  const double df = double(b.frame - a.frame);
  const double s = applyEasing(a.easing, (frame - a.frame) / df);

  double cx, cy;
  if (m_interpolation == Interpolation::CatmullRom && m_keys.size() > 2) {
    double vax, vay, vbx, vby;
    tangentAt(m_keys, i, vax, vay);
    tangentAt(m_keys, i + 1, vbx, vby);
    // Hermite on s in [0,1]: tangents scale by the segment length in frames.
    cx = hermite(a.box.cx(), b.box.cx(), vax * df, vbx * df, s);
    cy = hermite(a.box.cy(), b.box.cy(), vay * df, vby * df, s);
  } else {
    cx = lerp(a.box.cx(), b.box.cx(), s);
    cy = lerp(a.box.cy(), b.box.cy(), s);
  }
  const double w = lerp(a.box.width(), b.box.width(), s);
  const double h = lerp(a.box.height(), b.box.height(), s);
  Pose p;
  p.box = NormBox{float(cx - 0.5 * w), float(cy - 0.5 * h), float(cx + 0.5 * w), float(cy + 0.5 * h)};
  p.rotationDeg = lerp(a.rotationDeg, b.rotationDeg, s);
  return p;
}

bool Trajectory::operator==(const Trajectory& o) const {
  if (m_interpolation != o.m_interpolation || m_keys.size() != o.m_keys.size()) return false;
  for (size_t i = 0; i < m_keys.size(); ++i) {
    const Keyframe& a = m_keys[i];
    const Keyframe& b = o.m_keys[i];
    if (a.frame != b.frame || !sameBox(a.box, b.box) || a.rotationDeg != b.rotationDeg || a.easing != b.easing)
      return false;
  }
  return true;
}

std::string easingName(Easing e) {
  switch (e) {
    case Easing::Linear: return "linear";
    case Easing::EaseIn: return "ease_in";
    case Easing::EaseOut: return "ease_out";
    case Easing::EaseInOut: return "ease_in_out";
    default: return "invalid";
  }
}

Easing easingFromName(const std::string& name) {
  if (name == "linear") return Easing::Linear;
  if (name == "ease_in") return Easing::EaseIn;
  if (name == "ease_out") return Easing::EaseOut;
  if (name == "ease_in_out") return Easing::EaseInOut;
  return Easing::Invalid;
}

std::string interpolationName(Interpolation i) {
  switch (i) {
    case Interpolation::Linear: return "linear";
    case Interpolation::CatmullRom: return "catmull_rom";
    default: return "invalid";
  }
}

Interpolation interpolationFromName(const std::string& name) {
  if (name == "linear") return Interpolation::Linear;
  if (name == "catmull_rom") return Interpolation::CatmullRom;
  return Interpolation::Invalid;
}

}  // namespace ns
