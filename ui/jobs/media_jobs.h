#pragma once
// Video in and out through core/media (OpenCV/FFmpeg), as model-thread jobs (decoding a clip
// takes a while and uses tensors, so it never runs on the UI thread). Need no model.

#include <QString>

#include "ui/jobs/job_types.h"

namespace ns::ui {

// Reads a video (at most maxFrames) -> one Image FrameBuffer; metrics["fps"] = the clip's rate.
JobFn readVideoJob(const QString& path, int maxFrames = 240);
// Writes Image frames as an MP4 (or whatever the extension says) at `fps`. Cancelling it leaves
// no file behind (writeVideo writes a temp file and renames it only when complete).
JobFn writeVideoJob(FrameBuffer frames, const QString& path, double fps);

}  // namespace ns::ui
