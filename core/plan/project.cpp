// Project: file I/O, path handling and the prompt/layout helpers. JSON mapping lives in
// project_json_*.cpp, value checks in project_validate.cpp.
#include "core/plan/project.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "core/model/vocabulary.h"
#include "core/plan/project_json.h"
#include "core/util/atomic_file.h"

namespace fs = std::filesystem;

namespace ns {
namespace {

std::string joinProblems(const std::vector<std::string>& p) {
  std::string msg;
  for (const auto& s : p) msg += (msg.empty() ? "" : "; ") + s;
  return msg;
}

fs::path folderOf(const std::string& file) {
  if (file.empty()) return fs::current_path();
  return fs::absolute(fs::path(file)).parent_path();
}

// Re-expresses one stored path for a project moving from folder `from` to folder `to`, so it
// names the same file. Files inside `to` become relative (portable project folders); files
// elsewhere keep their style: absolute stays absolute, relative gets the needed "../".
std::string rebasePath(const std::string& stored, const fs::path& from, const fs::path& to) {
  if (stored.empty()) return stored;
  const fs::path p(stored);
  const fs::path abs = (p.is_absolute() ? p : from / p).lexically_normal();
  const fs::path rel = abs.lexically_relative(to);
  if (rel.empty()) return stored;
  const bool inside = rel.begin() == rel.end() || *rel.begin() != "..";
  if (inside || !p.is_absolute()) return rel.generic_string();
  return stored;
}

bool startsWithPreposition(const std::string& prompt) {
  static const char* kWords[] = {"on", "in", "at", "over", "under", "above", "below", "across",
                                 "through", "near", "with", "by", "against", "inside", "beside", "into"};
  std::string first;
  for (char ch : prompt) {
    if (std::isspace(static_cast<unsigned char>(ch))) {
      if (first.empty()) continue;
      break;
    }
    first += char(std::tolower(static_cast<unsigned char>(ch)));
  }
  for (const char* w : kWords)
    if (first == w) return true;
  return false;
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

std::string lower(std::string s) {
  for (char& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = char(std::tolower(static_cast<unsigned char>(c)));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

// ---- colours ------------------------------------------------------------------------------

bool parseHexColour(const std::string& text, Rgb8& out) {
  if (text.size() != 7 || text[0] != '#') return false;
  int v[6];
  for (int i = 0; i < 6; ++i)
    if ((v[i] = hexDigit(text[size_t(i) + 1])) < 0) return false;
  out = Rgb8{uint8_t(v[0] * 16 + v[1]), uint8_t(v[2] * 16 + v[3]), uint8_t(v[4] * 16 + v[5])};
  return true;
}

std::string toHexColour(const Rgb8& c) {
  static const char* kHex = "0123456789abcdef";
  std::string s = "#";
  for (uint8_t b : {c.r, c.g, c.b}) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

// ---- files --------------------------------------------------------------------------------

std::string Project::toJsonText() const { return projectToJson(*this).dump(2) + "\n"; }

Result<Project> Project::fromJsonText(const std::string& text, const ProjectLoadOptions& options,
                                      const std::string& sourceName) {
  ProjectJson j;
  try {
    j = ProjectJson::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return makeError(ErrorKind::BadInput, sourceName + ": not valid JSON (" + e.what() + ")");
  }
  Result<int> version = projectSchemaVersion(j);
  if (!version.ok()) return makeError(ErrorKind::BadInput, sourceName + ": " + version.error().message);
  if (version.value() != kSchemaVersion) {
    Result<void> m = migrateProjectJson(j, version.value());
    if (!m.ok()) return makeError(ErrorKind::BadInput, sourceName + ": " + m.error().message);
    spdlog::info("{}: migrated project from schema version {} to {}", sourceName, version.value(), kSchemaVersion);
  }
  Project p;
  std::vector<std::string> problems;
  projectFromJson(j, p, problems);
  // Range checks on a half-read project would report defaults; show structural problems first.
  if (problems.empty()) problems = p.problems(options);
  if (!problems.empty()) return makeError(ErrorKind::BadInput, sourceName + ": " + joinProblems(problems));
  return p;
}

Result<Project> Project::open(const std::string& path, const ProjectLoadOptions& options) {
  Result<std::string> bytes = readFileBytes(path, size_t(64) << 20);
  if (!bytes.ok()) return bytes.error();
  Result<Project> p = fromJsonText(bytes.value(), options, path);
  if (!p.ok()) return p.error();
  p.value().filePath = path;
  return p;
}

Result<void> Project::load(const std::string& path, const ProjectLoadOptions& options) {
  Result<Project> p = open(path, options);
  if (!p.ok()) return p.error();
  *this = std::move(p).value();  // only now, so a failed load leaves the document as it was
  return {};
}

Result<void> Project::save(const std::string& path) {
  Project copy = *this;
  try {
    // A never-saved project has no folder yet: its relative paths are meant relative to the
    // folder it is first saved in, so they are kept as written.
    const fs::path from = folderOf(filePath), to = folderOf(path);
    const bool moved = !filePath.empty() && from != to;
    auto rebase = [&](std::string& stored) {
      if (fs::path(stored).is_absolute()) stored = rebasePath(stored, to, to);  // inside `to` -> relative
      else if (moved) stored = rebasePath(stored, from, to);
    };
    rebase(copy.background.path);
    for (ProjectObject& o : copy.objects) rebase(o.source.path);
  } catch (const fs::filesystem_error& e) {
    return makeError(ErrorKind::Io, path + ": could not work out the folder (" + e.what() + ")");
  }
  Result<void> valid = copy.validate();
  if (!valid.ok()) return makeError(ErrorKind::BadInput, path + ": not saved: " + valid.error().message);
  Result<void> w = writeFileAtomic(path, copy.toJsonText(), BackupMode::KeepOne);
  if (!w.ok()) return w;
  copy.filePath = path;
  *this = std::move(copy);
  return {};
}

std::string Project::resolvePath(const std::string& stored) const {
  if (stored.empty()) return stored;
  const fs::path p(stored);
  if (p.is_absolute()) return stored;
  return (folderOf(filePath) / p).lexically_normal().string();
}

// ---- helpers ------------------------------------------------------------------------------

Project Project::untitled() {
  Project p;
  p.background.kind = BackgroundKind::Generate;
  p.background.prompt.clear();  // from the global prompt, whatever the user types there
  return p;
}

std::vector<int> Project::drawOrder() const {
  std::vector<int> order(objects.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [this](int a, int b) { return objects[size_t(a)].z < objects[size_t(b)].z; });
  return order;
}

const ProjectObject* Project::findObject(const std::string& id) const {
  for (const ProjectObject& o : objects)
    if (o.id == id) return &o;
  return nullptr;
}

std::vector<SceneObject> Project::layoutAt(double frame) const {
  std::vector<SceneObject> out;
  for (int i : drawOrder()) {
    const ProjectObject& o = objects[size_t(i)];
    if (o.trajectory.empty()) continue;
    const Pose pose = o.trajectory.poseAt(frame);
    // Bounds of the rotated box, in pixels (rotation happens in pixel space).
    const double th = pose.rotationDeg * M_PI / 180.0;
    const double hw = 0.5 * pose.box.width() * width, hh = 0.5 * pose.box.height() * height;
    const double ex = std::fabs(std::cos(th)) * hw + std::fabs(std::sin(th)) * hh;
    const double ey = std::fabs(std::sin(th)) * hw + std::fabs(std::cos(th)) * hh;
    const double cx = pose.box.cx() * width, cy = pose.box.cy() * height;
    NormBox b{float(std::clamp((cx - ex) / width, 0.0, 1.0)), float(std::clamp((cy - ey) / height, 0.0, 1.0)),
              float(std::clamp((cx + ex) / width, 0.0, 1.0)), float(std::clamp((cy + ey) / height, 0.0, 1.0))};
    if (b.width() <= 0 || b.height() <= 0) continue;  // entirely off the canvas at this frame
    SceneObject so;
    so.box = b;
    if (o.source.kind == SourceKind::BuiltinShape) {
      so.shape = o.source.shape;
      so.colour = o.source.colour;
    } else {
      const SceneSpec parsed = Vocabulary::parse(objectPrompt(o));
      if (!parsed.objects.empty()) {
        so.shape = parsed.objects.front().shape;
        so.colour = parsed.objects.front().colour;
      }
    }
    out.push_back(so);
  }
  return out;
}

std::string objectPrompt(const ProjectObject& o) {
  const std::string p = trim(o.prompt);
  if (!p.empty()) return p;
  if (o.source.kind == SourceKind::BuiltinShape) {
    const bool vowel = !o.source.colour.empty() && std::string("aeiou").find(o.source.colour[0]) != std::string::npos;
    return (vowel ? "an " : "a ") + o.source.colour + " " + o.source.shape;  // as Vocabulary::caption
  }
  return o.id;
}

std::string fullPrompt(const Project& project) {
  const std::string global = trim(project.prompt);
  const std::string globalLower = lower(global);
  std::string objectsPart;
  for (int i : project.drawOrder()) {
    const std::string op = objectPrompt(project.objects[size_t(i)]);
    if (op.empty() || globalLower.find(lower(op)) != std::string::npos) continue;  // already said
    objectsPart += (objectsPart.empty() ? "" : " and ") + op;
  }
  if (objectsPart.empty()) return global;
  if (global.empty()) return objectsPart;
  return objectsPart + (startsWithPreposition(global) ? " " : ", ") + global;
}

// ---- enum names ---------------------------------------------------------------------------

std::string backgroundKindName(BackgroundKind k) {
  switch (k) {
    case BackgroundKind::Colour: return "colour";
    case BackgroundKind::Gradient: return "gradient";
    case BackgroundKind::ImageFile: return "image";
    case BackgroundKind::VideoFile: return "video";
    case BackgroundKind::Generate: return "generate";
    default: return "invalid";
  }
}
BackgroundKind backgroundKindFromName(const std::string& s) {
  for (BackgroundKind k : {BackgroundKind::Colour, BackgroundKind::Gradient, BackgroundKind::ImageFile,
                           BackgroundKind::VideoFile, BackgroundKind::Generate})
    if (backgroundKindName(k) == s) return k;
  return BackgroundKind::Invalid;
}

std::string gradientDirectionName(GradientDirection d) {
  switch (d) {
    case GradientDirection::Vertical: return "vertical";
    case GradientDirection::Horizontal: return "horizontal";
    default: return "invalid";
  }
}
GradientDirection gradientDirectionFromName(const std::string& s) {
  if (s == "vertical") return GradientDirection::Vertical;
  if (s == "horizontal") return GradientDirection::Horizontal;
  return GradientDirection::Invalid;
}

std::string sourceKindName(SourceKind k) {
  switch (k) {
    case SourceKind::BuiltinShape: return "shape";
    case SourceKind::CutOut: return "cutout";
    case SourceKind::ImageWithAlpha: return "image";
    case SourceKind::Generate: return "generate";
    default: return "invalid";
  }
}
SourceKind sourceKindFromName(const std::string& s) {
  for (SourceKind k : {SourceKind::BuiltinShape, SourceKind::CutOut, SourceKind::ImageWithAlpha, SourceKind::Generate})
    if (sourceKindName(k) == s) return k;
  return SourceKind::Invalid;
}

std::string noiseKindName(NoiseKind k) {
  switch (k) {
    case NoiseKind::Random: return "random";
    case NoiseKind::Inverted: return "inverted";
    case NoiseKind::Warped: return "warped";
    case NoiseKind::FreeNoise: return "freenoise";
    default: return "invalid";
  }
}
NoiseKind noiseKindFromName(const std::string& s) {
  for (NoiseKind k : {NoiseKind::Random, NoiseKind::Inverted, NoiseKind::Warped, NoiseKind::FreeNoise})
    if (noiseKindName(k) == s) return k;
  return NoiseKind::Invalid;
}

std::string initMethodName(InitMethod m) {
  switch (m) {
    case InitMethod::QSample: return "q_sample";
    case InitMethod::DdimInversion: return "ddim_inversion";
    default: return "invalid";
  }
}
InitMethod initMethodFromName(const std::string& s) {
  if (s == "q_sample") return InitMethod::QSample;
  if (s == "ddim_inversion") return InitMethod::DdimInversion;
  return InitMethod::Invalid;
}

}  // namespace ns
