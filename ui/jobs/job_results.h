#pragma once
// The typed results of the window's jobs (ui/jobs/engine_jobs.h, media_jobs.h): what each verb
// made, as plain values the UI thread can hold (FrameBuffers, numbers, strings; no tensors).
// Each derives from JobReport (summary + committed) and reaches the handler its submitter named
// (job_types.h), so no field's meaning depends on a position in a list or a string key.

#include <cstdint>
#include <string>
#include <vector>

#include "core/util/frame_buffer.h"
#include "ui/jobs/job_types.h"

namespace ns {
struct Project;
}

namespace ns::ui {

// The initial noise a render started from, kept by the window so the noise inspector shows
// exactly that field instead of computing it again.
struct RenderedNoise {
  FrameBuffer noise;    // [F,C,h,w] Noise frames for project frames firstFrame .. firstFrame+F-1
  int firstFrame = 0;
  std::string project;  // the project as rendered (its JSON and file path): the noise is reused
                        // only while the project is exactly this (any edit may change the noise)

  // Whether this noise is the field `p` starts from at `frame` (same project, frame kept).
  bool covers(const Project& p, int frame) const;
  // One frame of it, [1,C,h,w] (Noise); `frame` is a project frame that covers() accepted.
  FrameBuffer frameAt(int frame) const;
};
// The key RenderedNoise::project holds for `p`.
std::string renderedNoiseKey(const Project& p);

// Statistics of a noise field (core/noise/noise_stats.h without the KS and channel terms).
struct NoiseFieldStats {
  int64_t count = 0;
  double mean = 0, std = 0;
  double lag1Horizontal = 0, lag1Vertical = 0;
  double lag1() const { return 0.5 * (lag1Horizontal + lag1Vertical); }
};

// Render / live preview (renderProject).
struct RenderOutput : JobReport {
  int firstFrame = 0;     // project index of frames' first frame (the live preview's frame)
  FrameBuffer frames;     // the result, RGB [0,1]
  RenderedNoise noise;    // the noise it started from, for the inspector
  std::vector<std::string> notes;
};

// The noise inspector: one frame of the field the project starts from.
struct NoiseFieldOutput : JobReport {
  int frame = 0;          // project frame
  FrameBuffer noise;      // [1,C,h,w] Noise
  NoiseFieldStats stats;
  bool fromRender = false;  // true: the last render's own noise (not computed again)
};

// Invert: the source as the model saw it and the noise it inverts to.
struct InvertOutput : JobReport {
  FrameBuffer fittedSource;  // Image: what A/B compares against
  NoiseFieldStats stats;     // of x_T (the inspector shows x_T itself from the inversion cache)
  std::vector<std::string> notes;
};

// Edit: the re-rendered inversion.
struct EditOutput : JobReport {
  FrameBuffer frames;  // Image
  std::vector<std::string> notes;
};

// A picture or clip read through core/media's one door (media::loadMedia).
struct MediaOutput : JobReport {
  std::string path;
  FrameBuffer frames;  // Image, RGB [0,1]
  double fps = 0.0;    // 0 for a still image
  bool isVideo = false;
};

}  // namespace ns::ui
