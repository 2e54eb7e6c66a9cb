#pragma once
// Video evaluation (issue 16 item 6, `noisestudio-cli eval video`): how well the video models keep
// a planned clip coherent, next to the image model. Held-out planned clips (eval_clips.h: 1-2
// built-in shapes in held-out colour/shape/background triples, moving along trajectories) are
// rendered through renderProject — the verb the window runs — once per setting:
//   image_random        image model, fresh noise per frame                   (short clips)
//   image_warped        image model, noise warped along the sketch's flow    (short clips)
//   video               video model, warped noise, the clip in one call      (short clips)
//   video_windows_48    video model, warped noise, plain sliding windows     (long clips)
//   video_freenoise_48  video model, FreeNoise noise rescheduling + window   (long clips)
//                       attention fusion
// and scored per clip with
//   layout_iou  mean IoU of each object found by colour to its planned box, per frame (missed = 0)
//               (layout_eval.h scoreLayout, the `eval layout` verifier);
//   flicker     mean |frame k+1 sampled along the exact sketch flow - frame k| in [0,1] units
//               (video_metrics.h), over all pixels and split into object / background;
//   identity    the shapes classifier's (colour, shape) agreement between the first and the
//               last frame, per object (-1 when the model has no shapes classifier).
// Short and long clips of the same index share seed, objects and background; the long clip's
// objects move as fast per frame as the short clip's (a new key every `frames - 1` frames), so
// their flicker compares.
// Same contract as the engine verbs: calling thread, cancel between renders/steps, Result.

#include <cstdint>
#include <string>
#include <vector>

#include "core/jobs/job_context.h"
#include "core/model/context_windows.h"
#include "core/model/model_bundle.h"
#include "core/util/result.h"

namespace ns {

struct VideoEvalRequest {
  int clips = 2;
  int frames = 16;      // short clips (image_random, image_warped, video)
  int longFrames = 48;  // long clips (video_windows_48, video_freenoise_48)
  int steps = 10;
  double cfg = 4.0;
  double ratio = 0.7;       // α of the structured init (1 = from pure noise)
  uint64_t seed = 7001;     // clip i is drawn from seed + i and renders with that seed
  ContextWindowOptions windows;  // long clips: window length / overlap (FreeNoise's noise window too)
  std::vector<std::string> settings;  // empty = all five, in the order above
};

struct VideoEvalRow {
  std::string setting;
  std::string noise;  // the noise recipe ("random", "warped", "freenoise")
  int frames = 0;
  int clips = 0;
  double layoutIou = 0;
  double flicker = 0, flickerObject = 0, flickerBackground = 0;
  double identity = -1;  // -1: no shapes classifier
  double seconds = 0;
};

struct VideoEvalReport {
  std::vector<VideoEvalRow> rows;
  int clips = 0, steps = 0;
  double seconds = 0;
};

// The names of every setting, in report order.
const std::vector<std::string>& videoEvalSettings();

// `image` renders the image rows; `video` (a video model, info().isVideo) the video rows and may be
// null when no video row is asked for. Refuses unknown settings, a missing or non-video video
// model for video rows, and counts below 1 (BadInput, naming the value).
Result<VideoEvalReport> evaluateVideo(ModelBundle& image, ModelBundle* video, const VideoEvalRequest& req,
                                      JobContext& ctx);

}  // namespace ns
