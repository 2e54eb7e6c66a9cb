#pragma once
// Loading what a project's sketch needs from disk (core has no codecs): the background image or
// video, the sprites of cut-out objects (GrabCut on their source image) and of images with alpha,
// and a painted shapes-world background for a "generate" background whose prompt is a vocabulary
// background word (sky, grass, ...). The result goes into SketchInputs for renderProject /
// renderProjectSketch. Errors name the project field and the file.
// Thread: any; no shared state.

#include "core/plan/project.h"
#include "core/plan/sketch_renderer.h"
#include "core/util/result.h"

namespace ns::media {

Result<SketchInputs> loadProjectInputs(const Project& project);

}  // namespace ns::media
