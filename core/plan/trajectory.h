#pragma once
// Trajectory: where an object's box is in every frame of a project, from a few keyframes.
//
// Keyframes are kept ordered by frame; setKey() on an existing frame replaces that key. Between
// two keys the segment parameter s = (f - f_i)/(f_{i+1} - f_i) is shaped by the *first* key's
// easing, then:
//   - the box centre follows a straight line (Linear) or a Catmull-Rom curve (CatmullRom:
//     cubic Hermite whose tangents are the centred finite differences of the neighbouring keys in
//     frame units, one-sided at the ends; with evenly spaced keys this is the classic uniform
//     Catmull-Rom spline and it passes through every key's centre),
//   - width, height and rotation interpolate linearly in s (rotation in degrees, no wrapping, so
//     0 -> 720 spins twice).
// Before the first key and after the last the pose holds. Rotation is about the box centre, in
// pixel space, positive = clockwise on screen (y grows downwards).
//
// Value type: copy freely; no shared state; safe to read from any thread.

#include <string>
#include <vector>

#include "core/model/scene.h"

namespace ns {

// Timing curve of one segment. Persisted by name (trajectoryEasingName); add new values at the end.
enum class Easing {
  Invalid = 0,
  Linear,     // s
  EaseIn,     // s^2 (starts slow)
  EaseOut,    // 1 - (1-s)^2 (ends slow)
  EaseInOut,  // 2s^2 for s < 1/2, 1 - 2(1-s)^2 after (slow at both ends)
};

// How the box centre moves between keys. Persisted by name; add new values at the end.
enum class Interpolation {
  Invalid = 0,
  Linear,      // straight segments
  CatmullRom,  // smooth curve through the key centres
};

struct Keyframe {
  int frame = 0;
  NormBox box;                    // unrotated box in normalised canvas coordinates
  double rotationDeg = 0;         // clockwise, about the box centre
  Easing easing = Easing::Linear; // shapes the segment from this key to the next
};

// The box and rotation at one instant.
struct Pose {
  NormBox box;
  double rotationDeg = 0;
};

class Trajectory {
 public:
  Trajectory() = default;
  explicit Trajectory(Interpolation interpolation) : m_interpolation(interpolation) {}

  // Inserts the key, or replaces the key already at key.frame. Keeps keys ordered by frame.
  void setKey(const Keyframe& key);
  // Removes the key at `frame`; false if there was none.
  bool removeKey(int frame);
  void clear() { m_keys.clear(); }

  const std::vector<Keyframe>& keys() const { return m_keys; }
  bool empty() const { return m_keys.empty(); }
  Interpolation interpolation() const { return m_interpolation; }
  void setInterpolation(Interpolation i) { m_interpolation = i; }

  // Pose at a (fractional) frame. An empty trajectory gives a zero box.
  Pose poseAt(double frame) const;
  NormBox boxAt(double frame) const { return poseAt(frame).box; }
  double rotationAt(double frame) const { return poseAt(frame).rotationDeg; }

  bool operator==(const Trajectory& o) const;

 private:
  std::vector<Keyframe> m_keys;  // strictly increasing frame
  Interpolation m_interpolation = Interpolation::Linear;
};

// Applies an easing curve to s in [0,1].
double applyEasing(Easing easing, double s);

// Names used in project files: "linear", "ease_in", "ease_out", "ease_in_out" and
// "linear", "catmull_rom". The parsers return Invalid for unknown names.
std::string easingName(Easing e);
Easing easingFromName(const std::string& name);
std::string interpolationName(Interpolation i);
Interpolation interpolationFromName(const std::string& name);

}  // namespace ns
