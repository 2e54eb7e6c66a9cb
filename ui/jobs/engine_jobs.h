#pragma once
// Engine verbs as JobController jobs. Each function takes plain values (a Project snapshot, a
// FrameBuffer, numbers) on the UI thread and returns a JobFn that runs on the model thread and
// calls the engine (core/engine/engine.h). This file's .cpp is the only ui/ code that touches
// tensors, and only inside those functions (and previewFrames), i.e. on the model thread.
//
// Wired verbs: renderProject (Render, live preview: sketch + structured init), invert, edit, and
// the noise inspector (the project's random / warped / FreeNoise noise or inverted x_T + NoiseStats).

#include <memory>
#include <string>

#include "core/plan/project.h"
#include "ui/docks/inversion_dock.h"
#include "ui/jobs/job_types.h"

namespace at {
class Tensor;
}

namespace ns::ui {

// A step's preview (JobProgress::preview: decoded frames [F,3,H,W] or [3,H,W] in [-1,1]) as Image
// frames for the preview dock; empty when the tensor is not RGB (a sampler without a decoder
// reports latents). Model thread only (it reads a tensor).
FrameBuffer previewFrames(const at::Tensor& preview);

// Inverted noise kept for later edits. Opaque to the UI thread: only jobs read or write it (one
// at a time, on the model thread), the UI thread just holds the pointer.
struct InversionCache;
std::shared_ptr<InversionCache> makeInversionCache();

// Full render of the project (renderProject: the video sketch of its layout and trajectories,
// noise by its recipe, structured init at its noise ratio α, its prompt, seed, steps, guidance).
// frames[0] is the result, frames[1] the sketch. `stepsOverride` > 0 replaces the steps (live
// preview), and `onlyFrame` >= 0 denoises that frame alone.
JobFn renderJob(const Project& snapshot, int stepsOverride = 0, int onlyFrame = -1);

// The noise field the project starts from (the current frame) as Noise frames, with "mean",
// "std", "lag1" (mean of horizontal and vertical lag-1 autocorrelation) in metrics.
// Random / Warped / FreeNoise: what renderProject starts from; Inverted: the cached x_T.
JobFn noiseInspectJob(const Project& snapshot, int frame, std::shared_ptr<InversionCache> cache);

// Inverts `source` (Image frames) with the project's prompt and inversion settings; stores the
// noise in `cache`; returns {fitted source, x_T as Noise} and x_T's stats.
JobFn invertJob(const Project& snapshot, FrameBuffer source, std::shared_ptr<InversionCache> cache);

// Re-renders the cached inversion with the edits (target prompt, shift, colour) and the
// project's skip / target guidance, limited to the project's edit mask when it has one.
JobFn editJob(const Project& snapshot, const InversionEdits& edits, std::shared_ptr<InversionCache> cache);

}  // namespace ns::ui
