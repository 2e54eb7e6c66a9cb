#pragma once
// Video in and out through core/media (OpenCV/FFmpeg), and PNG-sequence export, as model-thread
// jobs (decoding or writing a clip takes a while, so it never runs on the UI thread). Need no model.

#include <QString>

#include "ui/jobs/job_types.h"

namespace ns::ui {

// Reads a video (at most maxFrames) -> one Image FrameBuffer; metrics["fps"] = the clip's rate.
JobFn readVideoJob(const QString& path, int maxFrames = 240);
// Writes Image frames as an MP4 (or whatever the extension says) at `fps`. Cancelling it leaves
// no file behind (writeVideo writes a temp file and renames it only when complete).
JobFn writeVideoJob(FrameBuffer frames, const QString& path, double fps);
// Writes Image frames as <dir>/<stem>_0000.png ... (exportPngSequence: all or nothing, so a
// cancelled or failed export leaves the folder as it was).
JobFn writePngSequenceJob(FrameBuffer frames, const QString& dir, const QString& stem);

}  // namespace ns::ui
