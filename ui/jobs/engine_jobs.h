#pragma once
// Engine verbs as typed JobController jobs. Each function takes plain values (a Project snapshot, a
// FrameBuffer, numbers) on the UI thread and returns a TypedJobFn that runs on the model thread,
// calls the engine (core/engine/engine.h) and returns the verb's own result (job_results.h),
// which reaches the handler the submitter names. This file's .cpp is the only ui/ code that
// touches tensors, and only inside those functions (and previewFrames), i.e. on the model thread.
//
// Wired verbs: renderProject (Render, live preview: sketch + structured init), invert, edit, and
// the noise inspector (the last render's own noise when it is still the project's, else the
// project's random / warped / FreeNoise noise, or the inverted x_T, with its statistics).

#include <memory>
#include <string>

#include "core/plan/project.h"
#include "ui/jobs/inversion_edits.h"
#include "ui/jobs/job_results.h"
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
// The result carries the frames and the noise they started from (RenderOutput::noise, keyed to
// this snapshot). `stepsOverride` > 0 replaces the steps (live preview), and `onlyFrame` >= 0
// denoises that frame alone.
TypedJobFn<RenderOutput> renderJob(const Project& snapshot, int stepsOverride = 0, int onlyFrame = -1);

// The noise field the project starts from at `frame`, with its statistics. When `rendered` (the
// last render's noise) covers this project and frame, that field is used as it is (only its
// statistics are computed); otherwise Random / Warped / FreeNoise noise is made as renderProject
// makes it, and Inverted shows the cached x_T.
TypedJobFn<NoiseFieldOutput> noiseInspectJob(const Project& snapshot, int frame, std::shared_ptr<InversionCache> cache,
                                             const RenderedNoise* rendered = nullptr);

// Inverts `source` (Image frames) with the project's prompt and inversion settings; stores the
// noise in `cache`; returns the fitted source and x_T's statistics (x_T stays in the cache, where
// the inspector and edits read it).
TypedJobFn<InvertOutput> invertJob(const Project& snapshot, FrameBuffer source, std::shared_ptr<InversionCache> cache);

// Re-renders the cached inversion with the edits (target prompt, shift, colour) and the
// project's skip / target guidance, limited to the project's edit mask when it has one.
TypedJobFn<EditOutput> editJob(const Project& snapshot, const InversionEdits& edits, std::shared_ptr<InversionCache> cache);

}  // namespace ns::ui
