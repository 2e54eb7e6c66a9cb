#pragma once
// The model-painted sprites of a plan's "generate" objects, for the canvas (issue 19 item 1: shown
// in the window as they are made). The job runs core/engine/model_planning.h's object planning on
// the model thread (the plan cache answers for parts painted before, and the next render reuses
// what this job paints) and hands back each sprite as RGBA frames; the background is not planned.

#include <string>
#include <utility>
#include <vector>

#include "core/plan/project.h"
#include "core/util/frame_buffer.h"
#include "ui/jobs/job_types.h"

namespace ns::ui {

struct ObjectSpritesOutput : JobReport {
  // (object id, its sprite: one frame, 4 channels RGBA in [0,1], the model's native size)
  std::vector<std::pair<std::string, FrameBuffer>> sprites;
};

// Everything that decides a model-painted sprite's pixels for a given model (prompt, shape,
// colour, seed as the planner derives it, negative prompt, steps, guidance), as one string.
std::string objectSpriteKey(const Project& project, const ProjectObject& object);

// Paints the sprites of the objects `ids` of `snapshot` (each must be a "generate" object).
// They go to the plan cache the window's renders use (<file>.nsproj.cache/plan for a saved plan,
// the user's cache folder otherwise), so the next render finds them there.
TypedJobFn<ObjectSpritesOutput> objectSpritesJob(const Project& snapshot, std::vector<std::string> ids);

}  // namespace ns::ui
