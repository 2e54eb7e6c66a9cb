// JSON -> Project for the current schema. Structural checks only (presence, types, names,
// unknown fields); value ranges are checked by Project::problems() on the result, with the same
// field paths. Problems are collected rather than stopping at the first, so a person fixing a
// hand-edited file sees everything at once.
#include <initializer_list>
#include <set>

#include "core/plan/edit_mask_json.h"
#include "core/plan/project_json.h"

namespace ns {
namespace {

using J = ProjectJson;

class Reader {
 public:
  explicit Reader(std::vector<std::string>& problems) : m_problems(problems) {}

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  void add(const std::string& path, const std::string& msg) { m_problems.push_back(path + ": " + msg); }

  // Reports fields of `obj` that are not in `allowed`.
  void onlyKeys(const J& obj, const std::string& path, std::initializer_list<const char*> allowed) {
    std::set<std::string> ok(allowed.begin(), allowed.end());
    for (auto it = obj.begin(); it != obj.end(); ++it)
      if (!ok.count(it.key())) add(join(path, it.key()), "unknown field");
  }

  // The field, or nullptr (reported as missing when required).
  const J* field(const J& obj, const std::string& path, const char* key, bool required) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) add(join(path, key), "missing");
      return nullptr;
    }
    return &*it;
  }

  bool isObject(const J& j, const std::string& path) {
    if (j.is_object()) return true;
    add(path, std::string("expected an object, got ") + j.type_name());
    return false;
  }

  template <class Int>
  void readInt(const J& obj, const std::string& path, const char* key, Int& out, bool required) {
    const J* f = field(obj, path, key, required);
    if (!f) return;
    if (!f->is_number_integer()) {
      add(join(path, key), std::string("expected a whole number, got ") + describe(*f));
      return;
    }
    if constexpr (std::is_unsigned_v<Int>) {
      if (f->is_number_unsigned()) out = Int(f->get<uint64_t>());
      else if (f->get<int64_t>() < 0) add(join(path, key), std::to_string(f->get<int64_t>()) + " is negative");
      else out = Int(f->get<int64_t>());
    } else {
      const int64_t v = f->is_number_unsigned() ? int64_t(std::min<uint64_t>(f->get<uint64_t>(), INT64_MAX)) : f->get<int64_t>();
      if (v < int64_t(INT32_MIN) || v > int64_t(INT32_MAX)) add(join(path, key), std::to_string(v) + " is out of range");
      else out = Int(v);
    }
  }

  void readBool(const J& obj, const std::string& path, const char* key, bool& out, bool required) {
    const J* f = field(obj, path, key, required);
    if (!f) return;
    if (!f->is_boolean()) {
      add(join(path, key), std::string("expected true or false, got ") + describe(*f));
      return;
    }
    out = f->get<bool>();
  }

  size_t problemCount() const { return m_problems.size(); }

  void readOptionalSeed(const J& obj, const std::string& path, const char* key, std::optional<uint64_t>& out) {
    if (!obj.contains(key)) return;
    uint64_t v = 0;
    const size_t before = m_problems.size();
    readInt(obj, path, key, v, false);
    if (m_problems.size() == before) out = v;
  }

  void readDouble(const J& obj, const std::string& path, const char* key, double& out, bool required) {
    const J* f = field(obj, path, key, required);
    if (!f) return;
    if (!f->is_number()) {
      add(join(path, key), std::string("expected a number, got ") + describe(*f));
      return;
    }
    out = f->get<double>();
  }

  void readString(const J& obj, const std::string& path, const char* key, std::string& out, bool required) {
    const J* f = field(obj, path, key, required);
    if (!f) return;
    if (!f->is_string()) {
      add(join(path, key), std::string("expected a string, got ") + describe(*f));
      return;
    }
    out = f->get<std::string>();
  }

  void readColour(const J& obj, const std::string& path, const char* key, Rgb8& out, bool required) {
    std::string s;
    const size_t before = m_problems.size();
    readString(obj, path, key, s, required);
    if (m_problems.size() != before || !obj.contains(key)) return;
    if (!parseHexColour(s, out)) add(join(path, key), "\"" + s + "\" is not a colour like \"#33aa55\"");
  }

  void readBox(const J& obj, const std::string& path, const char* key, NormBox& out, bool required) {
    const J* f = field(obj, path, key, required);
    if (!f) return;
    const std::string p = join(path, key);
    if (!f->is_array() || f->size() != 4) {
      add(p, std::string("expected [x0, y0, x1, y1], got ") + describe(*f));
      return;
    }
    float v[4];
    for (int i = 0; i < 4; ++i) {
      if (!(*f)[size_t(i)].is_number()) {
        add(p + "[" + std::to_string(i) + "]", std::string("expected a number, got ") + describe((*f)[size_t(i)]));
        return;
      }
      v[i] = float((*f)[size_t(i)].get<double>());
    }
    out = NormBox{v[0], v[1], v[2], v[3]};
  }

  // Reads an enum by name; `names` lists the accepted spellings for the message.
  template <class E>
  void readName(const J& obj, const std::string& path, const char* key, E& out, bool required,
                E (*parse)(const std::string&), const char* names) {
    std::string s;
    const size_t before = m_problems.size();
    readString(obj, path, key, s, required);
    if (m_problems.size() != before || !obj.contains(key)) return;
    const E e = parse(s);
    if (e == E::Invalid) add(join(path, key), "\"" + s + "\" is not one of " + names);
    else out = e;
  }

  static std::string describe(const J& j) {
    if (j.is_string()) return "the string \"" + j.get<std::string>() + "\"";
    if (j.is_null()) return "null";
    if (j.is_number()) return "the number " + j.dump();
    return j.type_name();
  }

 private:
  std::vector<std::string>& m_problems;
};

void readBackground(Reader& r, const J& j, const std::string& path, Background& b) {
  if (!r.isObject(j, path)) return;
  r.readName(j, path, "kind", b.kind, true, backgroundKindFromName, "colour, gradient, image, video, generate");
  switch (b.kind) {
    case BackgroundKind::Colour:
      r.onlyKeys(j, path, {"kind", "colour"});
      r.readColour(j, path, "colour", b.colour, true);
      break;
    case BackgroundKind::Gradient:
      r.onlyKeys(j, path, {"kind", "colour", "colour2", "direction"});
      r.readColour(j, path, "colour", b.colour, true);
      r.readColour(j, path, "colour2", b.colour2, true);
      r.readName(j, path, "direction", b.direction, false, gradientDirectionFromName, "vertical, horizontal");
      break;
    case BackgroundKind::ImageFile:
    case BackgroundKind::VideoFile:
      r.onlyKeys(j, path, {"kind", "path"});
      r.readString(j, path, "path", b.path, true);
      break;
    case BackgroundKind::Generate:
      // Both optional: an empty prompt derives one from the global prompt, no seed uses the project's.
      r.onlyKeys(j, path, {"kind", "prompt", "seed"});
      r.readString(j, path, "prompt", b.prompt, false);
      r.readOptionalSeed(j, path, "seed", b.seed);
      break;
    default: break;
  }
}

void readSource(Reader& r, const J& j, const std::string& path, ObjectSource& s) {
  if (!r.isObject(j, path)) return;
  r.readName(j, path, "kind", s.kind, true, sourceKindFromName, "shape, cutout, image, generate");
  switch (s.kind) {
    case SourceKind::BuiltinShape:
      r.onlyKeys(j, path, {"kind", "shape", "colour"});
      r.readString(j, path, "shape", s.shape, true);
      r.readString(j, path, "colour", s.colour, true);
      break;
    case SourceKind::CutOut:
      r.onlyKeys(j, path, {"kind", "path", "box"});
      r.readString(j, path, "path", s.path, true);
      r.readBox(j, path, "box", s.sourceBox, true);
      break;
    case SourceKind::ImageWithAlpha:
      r.onlyKeys(j, path, {"kind", "path"});
      r.readString(j, path, "path", s.path, true);
      break;
    case SourceKind::Generate:
      r.onlyKeys(j, path, {"kind", "seed"});
      r.readOptionalSeed(j, path, "seed", s.seed);
      break;
    default: break;
  }
}

void readTrajectory(Reader& r, const J& j, const std::string& path, Trajectory& t) {
  if (!r.isObject(j, path)) return;
  r.onlyKeys(j, path, {"interpolation", "keyframes"});
  Interpolation interp = Interpolation::Linear;
  r.readName(j, path, "interpolation", interp, false, interpolationFromName, "linear, catmull_rom");
  t = Trajectory(interp);
  const J* keys = r.field(j, path, "keyframes", true);
  if (!keys) return;
  const std::string kpath = Reader::join(path, "keyframes");
  if (!keys->is_array()) {
    r.add(kpath, std::string("expected an array, got ") + Reader::describe(*keys));
    return;
  }
  int previous = INT32_MIN;
  for (size_t i = 0; i < keys->size(); ++i) {
    const std::string p = kpath + "[" + std::to_string(i) + "]";
    const J& kj = (*keys)[i];
    if (!r.isObject(kj, p)) continue;
    r.onlyKeys(kj, p, {"frame", "box", "rotation_deg", "easing"});
    Keyframe k;
    k.frame = INT32_MIN;
    r.readInt(kj, p, "frame", k.frame, true);
    r.readBox(kj, p, "box", k.box, true);
    r.readDouble(kj, p, "rotation_deg", k.rotationDeg, false);
    r.readName(kj, p, "easing", k.easing, false, easingFromName, "linear, ease_in, ease_out, ease_in_out");
    if (k.frame == INT32_MIN) continue;
    // Keys must be listed in frame order so the indices in messages match the file.
    if (k.frame <= previous) {
      r.add(p + ".frame", std::to_string(k.frame) + " must be greater than the previous keyframe's frame (" +
                              std::to_string(previous) + ")");
      continue;
    }
    previous = k.frame;
    t.setKey(k);
  }
}

void readObject(Reader& r, const J& j, const std::string& path, ProjectObject& o) {
  if (!r.isObject(j, path)) return;
  r.onlyKeys(j, path, {"id", "prompt", "z", "source", "trajectory"});
  r.readString(j, path, "id", o.id, true);
  r.readString(j, path, "prompt", o.prompt, false);
  r.readInt(j, path, "z", o.z, false);
  if (const J* s = r.field(j, path, "source", true)) readSource(r, *s, Reader::join(path, "source"), o.source);
  if (const J* t = r.field(j, path, "trajectory", true))
    readTrajectory(r, *t, Reader::join(path, "trajectory"), o.trajectory);
}

}  // namespace

void projectFromJson(const ProjectJson& j, Project& p, std::vector<std::string>& problems) {
  Reader r(problems);
  if (!j.is_object()) {
    problems.push_back(std::string("the file is not a JSON object (it is ") + j.type_name() + ")");
    return;
  }
  r.onlyKeys(j, "", {"schema_version", "canvas", "fps", "frames", "prompt", "negative_prompt", "seed", "model",
                     "background", "objects", "noise", "render", "inversion"});
  if (const J* c = r.field(j, "", "canvas", true)) {
    if (r.isObject(*c, "canvas")) {
      r.onlyKeys(*c, "canvas", {"width", "height"});
      r.readInt(*c, "canvas", "width", p.width, true);
      r.readInt(*c, "canvas", "height", p.height, true);
    }
  }
  r.readDouble(j, "", "fps", p.fps, true);
  r.readInt(j, "", "frames", p.frames, true);
  r.readString(j, "", "prompt", p.prompt, true);
  r.readString(j, "", "negative_prompt", p.negativePrompt, false);
  r.readInt(j, "", "seed", p.seed, true);
  r.readString(j, "", "model", p.model, true);
  // No background set: the model paints one from the global prompt (Project::untitled()).
  if (const J* b = r.field(j, "", "background", false)) readBackground(r, *b, "background", p.background);
  else p.background = Project::untitled().background;
  if (const J* objs = r.field(j, "", "objects", true)) {
    if (!objs->is_array()) {
      r.add("objects", std::string("expected an array, got ") + Reader::describe(*objs));
    } else {
      p.objects.clear();
      for (size_t i = 0; i < objs->size(); ++i) {
        ProjectObject o;
        readObject(r, (*objs)[i], "objects[" + std::to_string(i) + "]", o);
        p.objects.push_back(std::move(o));
      }
    }
  }
  if (const J* n = r.field(j, "", "noise", false)) {
    if (r.isObject(*n, "noise")) {
      r.onlyKeys(*n, "noise", {"kind", "degradation", "window", "stride"});
      r.readName(*n, "noise", "kind", p.noise.kind, false, noiseKindFromName, "random, inverted, warped, freenoise");
      r.readDouble(*n, "noise", "degradation", p.noise.degradation, false);
      r.readInt(*n, "noise", "window", p.noise.window, false);
      r.readInt(*n, "noise", "stride", p.noise.stride, false);
    }
  }
  if (const J* s = r.field(j, "", "render", false)) {
    if (r.isObject(*s, "render")) {
      r.onlyKeys(*s, "render", {"steps", "cfg", "noise_ratio", "method", "context_windows"});
      r.readInt(*s, "render", "steps", p.render.steps, false);
      r.readDouble(*s, "render", "cfg", p.render.cfg, false);
      r.readDouble(*s, "render", "noise_ratio", p.render.noiseRatio, false);
      r.readName(*s, "render", "method", p.render.method, false, initMethodFromName, "q_sample, ddim_inversion");
      if (const J* c = r.field(*s, "render", "context_windows", false); c && r.isObject(*c, "render.context_windows")) {
        const std::string path = "render.context_windows";
        r.onlyKeys(*c, path, {"length", "overlap", "stride", "loop", "fusion"});
        r.readInt(*c, path, "length", p.render.context.length, false);
        r.readInt(*c, path, "overlap", p.render.context.overlap, false);
        r.readInt(*c, path, "stride", p.render.context.stride, false);
        r.readBool(*c, path, "loop", p.render.context.loop, false);
        std::string fusion;
        const size_t before = r.problemCount();
        r.readString(*c, path, "fusion", fusion, false);
        if (r.problemCount() == before && c->contains("fusion") && !windowFusionFromString(fusion, p.render.fusion))
          r.add(path + ".fusion", "\"" + fusion + "\" is not one of freenoise, average");
      }
    }
  }
  if (const J* s = r.field(j, "", "inversion", false)) {
    if (r.isObject(*s, "inversion")) {
      r.onlyKeys(*s, "inversion", {"skip", "cfg_source", "cfg_target", "mask"});
      r.readInt(*s, "inversion", "skip", p.inversion.skip, false);
      r.readDouble(*s, "inversion", "cfg_source", p.inversion.cfgSource, false);
      r.readDouble(*s, "inversion", "cfg_target", p.inversion.cfgTarget, false);
      if (const auto m = s->find("mask"); m != s->end()) editMaskFromJson(*m, "inversion.mask", p.inversion.mask, problems);
    }
  }
}

}  // namespace ns
