#pragma once
// Project <-> JSON (nlohmann ordered_json) and the schema migrations. Used by project.cpp; other
// code goes through Project::load/save/toJsonText/fromJsonText. Pure functions; thread-safe.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "core/plan/project.h"
#include "core/util/result.h"

namespace ns {

using ProjectJson = nlohmann::ordered_json;

// The current schema's JSON for `p` (the exact text save() writes comes from dumping this).
ProjectJson projectToJson(const Project& p);

// Reads a current-schema JSON object into `out`. Structural problems (missing field, wrong type,
// unknown field, bad name) are appended to `problems`, each starting with its field path.
void projectFromJson(const ProjectJson& j, Project& out, std::vector<std::string>& problems);

// The schema version a file claims: "schema_version", or 0 for files from before it existed.
// Returns an error for a non-integer or negative version.
Result<int> projectSchemaVersion(const ProjectJson& j);

// Upgrades `j` in place from `fromVersion` to Project::kSchemaVersion, one step at a time
// (v0 -> v1: canvas size and the noise ratio moved into "canvas" and "render"). Refuses versions
// newer than this build knows.
Result<void> migrateProjectJson(ProjectJson& j, int fromVersion);

// Floats (boxes) are written with the shortest decimal that reads back to the same float, so
// files stay readable ("0.1", not "0.10000000149011612") and round trips are exact.
double floatForJson(float v);

}  // namespace ns
