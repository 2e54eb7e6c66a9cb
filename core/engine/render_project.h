#pragma once
// renderProject: the main job of the planning workflow (DESIGN.md "Data flow of the main job"):
//   sketch = SketchRenderer(project)                       [F,3,H,W] + exact flow
//   noise  = recipe (random | warped along the sketch flow | FreeNoise), degraded by γ
//   x_t*   = StructuredInit(codec.encode(sketch), noise, α)  then denoised to frames.
// Same contract as the verbs in engine.h (calling thread, cancel, Result, no global state).

#include <ATen/core/Tensor.h>

#include <functional>
#include <string>

#include "core/engine/model_planning.h"
#include "core/jobs/job_context.h"
#include "core/model/model_bundle.h"
#include "core/plan/project.h"
#include "core/plan/sketch_renderer.h"
#include "core/util/frame_buffer.h"
#include "core/util/result.h"

namespace ns {

struct RenderProjectRequest {
  Project project;
  SketchInputs inputs;        // background image/video and sprite tensors the caller loaded (media)
  double ratioOverride = -1;  // α in (0,1]; < 0 uses project.render.noiseRatio; 1 = pure noise (plain generation)
  int stepsOverride = 0;      // 0 uses project.render.steps
  int onlyFrame = -1;         // >= 0: denoise that frame alone (live preview); sketch and noise still
                              // follow the whole clip, so the frame is the one the full render makes
  int frameBegin = 0;         // render frames [frameBegin, frameEnd) only (farm chunks); frameEnd < 0 = to
  int frameEnd = -1;          // the end. onlyFrame, when set, wins. Like onlyFrame, the frames are bitwise
                              // those of the full render: see "Chunk independence" in render_project.cpp
  // Called with each frame as soon as it is denoised and decoded (project index, [3,H,W] in [-1,1]),
  // so a farm chunk writes its frames one by one and a killed task keeps what it finished. An error
  // stops the render and is returned.
  std::function<Result<void>(int frame, const at::Tensor& image)> onFrame;
  // Model planning (model_planning.h): a "generate" background or object that `inputs` does not
  // hold is painted by the model first. Its cache folder: "" = defaultPlanCacheDir(project)
  // ("<file>.nsproj.cache/plan"; none for an unsaved project).
  std::string planCacheDir;
  std::function<void(const PlannedPart&)> onPlannedPart;  // each part as it is made
};

struct RenderProjectResult {
  int firstFrame = 0;   // project index of frames[0] (frameBegin / onlyFrame; 0 for a full render)
  FrameBuffer frames;   // the result, RGB [0,1]
  FrameBuffer sketch;   // the video sketch, RGB [0,1]
  FrameBuffer noise;    // the initial noise [F,C,h,w] (Noise kind), for the inspector
  at::Tensor framesTensor;  // [F,3,H,W] in [-1,1] (CLI and evaluation use it directly)
  std::vector<PlannedPart> planned;  // the parts the model planned for this render (empty: none)
  std::vector<std::string> notes;
};

// Noise for a project at latent size h×w following its recipe (Random / Warped / FreeNoise; Inverted
// falls back to Random with a note, since inversion noise comes from the invert verb).
Result<at::Tensor> projectNoise(const Project& project, const Sketch& sketch, int channels, int latentH, int latentW,
                                std::vector<std::string>& notes);

Result<Sketch> renderProjectSketch(const Project& project, const SketchInputs& inputs);
Result<RenderProjectResult> renderProject(ModelBundle& model, const RenderProjectRequest& req, JobContext& ctx);

}  // namespace ns
