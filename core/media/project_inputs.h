#pragma once
// Loading what a project's sketch needs from disk (core has no codecs): the background image or
// video, the sprites of cut-out objects (GrabCut on their source image) and of images with alpha.
// "generate" backgrounds and objects are left out: the model paints them (planWithModel in
// core/engine/model_planning.h; renderProject does it for what is missing). The result goes into
// SketchInputs for renderProject / renderProjectSketch. Errors name the project field and the file.
// Thread: any; no shared state.

#include "core/plan/project.h"
#include "core/plan/sketch_renderer.h"
#include "core/util/result.h"

namespace ns::media {

Result<SketchInputs> loadProjectInputs(const Project& project);

}  // namespace ns::media
