// Schema migrations for .nsproj files. Each step upgrades exactly one version so files of any
// age load through the same chain; a new schema adds one step and bumps Project::kSchemaVersion.
#include <string>

#include "core/plan/project_json.h"

namespace ns {
namespace {

// v0 (before "schema_version"): canvas size at the top level ("width", "height") and the sketch
// noise ratio as a top-level "ratio". v1 groups them into "canvas" and "render".
Result<void> migrateV0ToV1(ProjectJson& j) {
  if (j.contains("width") || j.contains("height")) {
    if (j.contains("canvas"))
      return makeError(ErrorKind::BadInput, "canvas: a version 0 file cannot have both \"canvas\" and \"width\"/\"height\"");
    ProjectJson canvas = ProjectJson::object();
    if (j.contains("width")) canvas["width"] = j["width"];
    if (j.contains("height")) canvas["height"] = j["height"];
    j.erase("width");
    j.erase("height");
    j["canvas"] = canvas;
  }
  if (j.contains("ratio")) {
    if (!j.contains("render")) j["render"] = ProjectJson::object();
    if (!j["render"].is_object()) return makeError(ErrorKind::BadInput, "render: expected an object");
    if (j["render"].contains("noise_ratio"))
      return makeError(ErrorKind::BadInput, "ratio: a version 0 file cannot have both \"ratio\" and \"render.noise_ratio\"");
    j["render"]["noise_ratio"] = j["ratio"];
    j.erase("ratio");
  }
  j["schema_version"] = 1;
  return {};
}

}  // namespace

Result<int> projectSchemaVersion(const ProjectJson& j) {
  if (!j.is_object()) return makeError(ErrorKind::BadInput, "the file is not a JSON object");
  auto it = j.find("schema_version");
  if (it == j.end()) return 0;
  if (!it->is_number_integer())
    return makeError(ErrorKind::BadInput, std::string("schema_version: expected a whole number, got ") + it->type_name());
  const auto v = it->get<int64_t>();
  if (v < 0) return makeError(ErrorKind::BadInput, "schema_version: " + std::to_string(v) + " is negative");
  if (v > 1000000) return makeError(ErrorKind::BadInput, "schema_version: " + std::to_string(v) + " is not a version");
  return int(v);
}

Result<void> migrateProjectJson(ProjectJson& j, int fromVersion) {
  if (fromVersion > Project::kSchemaVersion)
    return makeError(ErrorKind::BadInput, "schema_version: " + std::to_string(fromVersion) +
                                              " is newer than this NoiseStudio understands (" +
                                              std::to_string(Project::kSchemaVersion) + "); please update NoiseStudio");
  if (fromVersion < 0) return makeError(ErrorKind::BadInput, "schema_version: " + std::to_string(fromVersion) + " is negative");
  for (int v = fromVersion; v < Project::kSchemaVersion; ++v) {
    Result<void> r;
    switch (v) {
      case 0: r = migrateV0ToV1(j); break;
      default: return makeError(ErrorKind::Internal, "no migration from schema version " + std::to_string(v));
    }
    if (!r.ok()) return r;
  }
  return {};
}

}  // namespace ns
