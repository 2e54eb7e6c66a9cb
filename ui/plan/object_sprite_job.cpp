// ATen first: its headers use identifiers that Qt's keyword macros (signals, slots, emit) redefine.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "ui/plan/object_sprite_job.h"

#include "core/engine/engine.h"  // the engine API (model planning: core/engine/model_planning.h)
#include "core/util/frame_tensors.h"

#include <QStandardPaths>

namespace ns::ui {

std::string objectSpriteKey(const Project& p, const ProjectObject& o) {
  return objectPrompt(o) + "|" + o.source.shape + "|" + o.source.colour + "|" + std::to_string(plannedObjectSeed(p, o)) +
         "|" + p.negativePrompt + "|" + std::to_string(p.render.steps) + "|" + std::to_string(p.render.cfg);
}

TypedJobFn<ObjectSpritesOutput> objectSpritesJob(const Project& snapshot, std::vector<std::string> ids) {
  // The same folder as the window's renders use (ui/jobs/engine_jobs.cpp), so they reuse the sprites.
  const std::string cacheDir =
      snapshot.filePath.empty()
          ? (QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + QStringLiteral("/plan")).toStdString()
          : defaultPlanCacheDir(snapshot);
  // Only the asked objects go to the planner, and a stand-in background keeps it from painting
  // the background (the render plans that; a sprite must not wait for it).
  Project only = snapshot;
  only.objects.clear();
  for (const std::string& id : ids)
    if (const ProjectObject* o = snapshot.findObject(id); o && o->source.kind == SourceKind::Generate)
      only.objects.push_back(*o);
  return [only, cacheDir](ModelBundle& model, JobContext& ctx) -> Result<ObjectSpritesOutput> {
    ObjectSpritesOutput out;
    if (only.objects.empty()) return out;
    SketchInputs inputs;
    {
      c10::InferenceMode guard;
      inputs.background = at::zeros({3, 1, 1});
    }
    ModelPlanOptions planning;
    planning.cacheDir = cacheDir;
    auto plan = planWithModel(model, only, inputs, planning, ctx);
    if (!plan) return plan.error();
    c10::InferenceMode guard;
    for (const PlannedPart& part : plan->parts)
      if (part.image.defined() && part.image.dim() == 3 && part.image.size(0) == 4)
        out.sprites.emplace_back(part.what, tensorToFrames(part.image.unsqueeze(0).to(at::kCPU, at::kFloat), FrameKind::Image));
    out.summary = "painted " + std::to_string(plan->generated) + " object sprite(s), " + std::to_string(plan->cached) +
                  " from the plan cache";
    return out;
  };
}

}  // namespace ns::ui
