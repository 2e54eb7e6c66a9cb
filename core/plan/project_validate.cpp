// Project::problems(): value checks on a project, each message starting with the field path the
// file uses (so a person can find it in the .nsproj), e.g.
// "objects[1].trajectory.keyframes[2].frame: 40 is outside 0..23".
#include <cmath>
#include <set>
#include <sstream>

#include "core/model/vocabulary.h"
#include "core/plan/project.h"

namespace ns {
namespace {

std::string num(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

std::string joinList(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

class Checker {
 public:
  explicit Checker(std::vector<std::string>& out) : m_out(out) {}
  void add(const std::string& path, const std::string& msg) { m_out.push_back(path + ": " + msg); }
  void intRange(const std::string& path, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi) add(path, std::to_string(v) + " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  void range(const std::string& path, double v, double lo, double hi) {
    if (!std::isfinite(v) || v < lo || v > hi) add(path, num(v) + " is outside " + num(lo) + ".." + num(hi));
  }
  void notEmpty(const std::string& path, const std::string& v) {
    if (v.empty()) add(path, "must not be empty");
  }
  // Keyframe boxes may reach off the canvas (objects enter and leave), but not absurdly far.
  void box(const std::string& path, const NormBox& b, double lo, double hi) {
    const float v[4] = {b.x0, b.y0, b.x1, b.y1};
    const char* names[4] = {"x0", "y0", "x1", "y1"};
    for (int i = 0; i < 4; ++i) {
      if (!std::isfinite(v[i]) || v[i] < lo || v[i] > hi) {
        add(path, std::string(names[i]) + " (" + num(v[i]) + ") is outside " + num(lo) + ".." + num(hi));
        return;
      }
    }
    if (!(b.x0 < b.x1)) add(path, "x0 (" + num(b.x0) + ") must be less than x1 (" + num(b.x1) + ")");
    if (!(b.y0 < b.y1)) add(path, "y0 (" + num(b.y0) + ") must be less than y1 (" + num(b.y1) + ")");
  }

 private:
  std::vector<std::string>& m_out;
};

void checkObject(Checker& c, const Project& p, size_t index, std::set<std::string>& ids) {
  const ProjectObject& o = p.objects[index];
  const std::string path = "objects[" + std::to_string(index) + "]";
  if (o.id.empty()) c.add(path + ".id", "must not be empty");
  else if (!ids.insert(o.id).second) c.add(path + ".id", "\"" + o.id + "\" is used by another object too");

  const std::string sp = path + ".source";
  switch (o.source.kind) {
    case SourceKind::BuiltinShape:
      if (Vocabulary::indexOf(Vocabulary::shapes(), o.source.shape) < 0)
        c.add(sp + ".shape", "\"" + o.source.shape + "\" is not a built-in shape (" + joinList(Vocabulary::shapes()) + ")");
      if (Vocabulary::indexOf(Vocabulary::colours(), o.source.colour) < 0)
        c.add(sp + ".colour", "\"" + o.source.colour + "\" is not a built-in colour (" + joinList(Vocabulary::colours()) + ")");
      break;
    case SourceKind::CutOut:
      c.notEmpty(sp + ".path", o.source.path);
      c.box(sp + ".box", o.source.sourceBox, 0.0, 1.0);
      break;
    case SourceKind::ImageWithAlpha: c.notEmpty(sp + ".path", o.source.path); break;
    case SourceKind::Generate:
      // The model paints the object from its prompt: without one there is nothing to paint.
      if (o.prompt.find_first_not_of(" \t\r\n") == std::string::npos) c.add(path + ".prompt", "must say what to generate (the source is \"generate\")");
      break;
    default: c.add(sp + ".kind", "is not set"); break;
  }

  const std::string tp = path + ".trajectory";
  if (o.trajectory.interpolation() == Interpolation::Invalid) c.add(tp + ".interpolation", "is not set");
  const auto& keys = o.trajectory.keys();
  if (keys.empty()) c.add(tp + ".keyframes", "needs at least one keyframe");
  for (size_t k = 0; k < keys.size(); ++k) {
    const std::string kp = tp + ".keyframes[" + std::to_string(k) + "]";
    c.intRange(kp + ".frame", keys[k].frame, 0, int64_t(p.frames) - 1);
    c.box(kp + ".box", keys[k].box, -2.0, 3.0);
    c.range(kp + ".rotation_deg", keys[k].rotationDeg, -36000, 36000);
    if (keys[k].easing == Easing::Invalid) c.add(kp + ".easing", "is not set");
  }
}

}  // namespace

std::vector<std::string> Project::problems(const ProjectLoadOptions& options) const {
  std::vector<std::string> out;
  Checker c(out);
  c.intRange("canvas.width", width, 8, 8192);
  c.intRange("canvas.height", height, 8, 8192);
  c.range("fps", fps, 0.1, 1000);
  c.intRange("frames", frames, 1, 100000);
  c.notEmpty("model", model);
  if (!model.empty() && !options.knownModels.empty() &&
      Vocabulary::indexOf(options.knownModels, model) < 0)
    c.add("model", "\"" + model + "\" is not an installed model (installed: " + joinList(options.knownModels) + ")");

  switch (background.kind) {
    case BackgroundKind::Colour:
    case BackgroundKind::Gradient:
      if (background.kind == BackgroundKind::Gradient && background.direction == GradientDirection::Invalid)
        c.add("background.direction", "is not set");
      break;
    case BackgroundKind::ImageFile:
    case BackgroundKind::VideoFile: c.notEmpty("background.path", background.path); break;
    case BackgroundKind::Generate: break;  // an empty prompt is derived from the global one
    default: c.add("background.kind", "is not set"); break;
  }

  std::set<std::string> ids;
  for (size_t i = 0; i < objects.size(); ++i) checkObject(c, *this, i, ids);

  if (noise.kind == NoiseKind::Invalid) c.add("noise.kind", "is not set");
  c.range("noise.degradation", noise.degradation, 0.0, 1.0);
  c.intRange("noise.window", noise.window, 1, 100000);
  c.intRange("noise.stride", noise.stride, 1, std::max(1, noise.window));

  c.intRange("render.steps", render.steps, 1, 1000);
  c.range("render.cfg", render.cfg, 0.0, 100.0);
  if (!(render.noiseRatio > 0.0 && render.noiseRatio <= 1.0))
    c.add("render.noise_ratio", num(render.noiseRatio) + " is outside (0, 1]");
  if (render.method == InitMethod::Invalid) c.add("render.method", "is not set");
  // Window lengths above the motion module's position table are refused when the model is known
  // (framesDenoiserFor); here only what no model accepts.
  c.intRange("render.context_windows.length", render.context.length, 1, 1024);
  // The overlap only counts when no stride is given (the stride is then length - overlap).
  c.intRange("render.context_windows.overlap", render.context.overlap, 0,
             render.context.stride > 0 ? INT32_MAX : std::max<int64_t>(0, render.context.length - 1));
  c.intRange("render.context_windows.stride", render.context.stride, 0, render.context.length);

  c.intRange("inversion.skip", inversion.skip, 0, std::max(0, render.steps - 1));
  c.range("inversion.cfg_source", inversion.cfgSource, 0.0, 100.0);
  c.range("inversion.cfg_target", inversion.cfgTarget, 0.0, 100.0);
  for (std::string& m : inversion.mask.problems(frames, "inversion.mask")) out.push_back(std::move(m));
  return out;
}

Result<void> Project::validate(const ProjectLoadOptions& options) const {
  const std::vector<std::string> p = problems(options);
  if (p.empty()) return {};
  std::string msg = p.front();
  for (size_t i = 1; i < p.size(); ++i) msg += "; " + p[i];
  return makeError(ErrorKind::BadInput, msg);
}

}  // namespace ns
