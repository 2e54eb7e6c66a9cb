#pragma once
// EditMask <-> the project file's "inversion.mask" object (docs/project-format.md):
//   {"feather": 0.02, "ops": [{"op": "paint", "frame": -1, "radius": 0.05, "hardness": 0.8,
//                              "points": [x0, y0, x1, y1, ...]}, {"op": "invert", "frame": -1}]}
// Points are a flat list of normalised x, y pairs, written as the shortest decimals that read
// back to the same floats, so a save/load round trip keeps the mask exactly. Used by the project
// JSON reader/writer only. Pure functions; thread-safe.

#include <string>
#include <vector>

#include "core/plan/edit_mask.h"
#include "core/plan/project_json.h"

namespace ns {

ProjectJson editMaskToJson(const EditMask& mask);

// Reads `j` (the value at `path`) into `out`; structural problems (wrong type, unknown key, bad
// op name, odd point list) are appended to `problems`, each starting with its field path. Value
// ranges are checked later by EditMask::problems (project validation).
void editMaskFromJson(const ProjectJson& j, const std::string& path, EditMask& out, std::vector<std::string>& problems);

}  // namespace ns
