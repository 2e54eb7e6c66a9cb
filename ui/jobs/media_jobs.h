#pragma once
// Media in and out through core/media (OpenCV/FFmpeg) as model-thread jobs (decoding or writing a
// clip takes a while, so it never runs on the UI thread). Need no model.

#include <QString>

#include "core/media/result_metadata.h"
#include "core/media/video_codec.h"
#include "ui/jobs/job_results.h"
#include "ui/jobs/job_types.h"

namespace ns::ui {

// Reads a picture or clip through core/media's one door (media::loadMedia: its extension list
// and size limits, errors naming the file) as Image frames, with the clip's frame rate.
TypedJobFn<MediaOutput> loadMediaJob(const QString& path);
// Writes Image frames as an MP4 (or whatever the extension says) at `fps`. Cancelling it leaves
// no file behind (writeVideo writes a temp file and renames it only when complete). The clip's
// `metadata` (how it was made) goes into the sidecar "<path>.nsproj" / ".nsrecipe" once the clip is in place.
JobFn writeVideoJob(FrameBuffer frames, const QString& path, double fps, media::ResultMetadata metadata = {},
                    media::VideoCodec codec = media::VideoCodec::Default);
// Writes Image frames as <dir>/<stem>_0000.png ... (exportPngSequence: all or nothing, so a
// cancelled or failed export leaves the folder as it was). Each PNG carries `metadata`.
JobFn writePngSequenceJob(FrameBuffer frames, const QString& dir, const QString& stem, media::ResultMetadata metadata = {});

}  // namespace ns::ui
