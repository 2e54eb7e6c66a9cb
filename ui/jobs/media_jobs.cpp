// ATen first: its headers use identifiers that Qt's keyword macros (signals, slots, emit) redefine.
#include <ATen/ATen.h>

#include "ui/jobs/media_jobs.h"

#include "core/media/media_file.h"
#include "core/media/frame_writer.h"
#include "core/util/frame_tensors.h"
#include "ui/frame_convert.h"

namespace ns::ui {

namespace {
// A job that only reports (an export): its file is in place, so a late cancel must not report
// otherwise (JobReport::committed).
JobOutcome committedReport(std::string summary) {
  JobOutcome out;
  out.report.summary = std::move(summary);
  out.report.committed = true;
  return out;
}
}  // namespace

TypedJobFn<MediaOutput> loadMediaJob(const QString& path) {
  const std::string p = path.toStdString();
  return [p](ModelBundle&, JobContext&) -> Result<MediaOutput> {
    auto media = media::loadMedia(p);
    if (!media) return media.error();
    MediaOutput out;
    out.path = p;
    out.frames = imagesToFrames(media->frames);
    out.fps = media->fps;
    out.isVideo = media->isVideo;
    out.summary = p + ": " + std::to_string(out.frames.count) + (out.frames.count == 1 ? " frame" : " frames");
    return out;
  };
}

JobFn writeVideoJob(FrameBuffer frames, const QString& path, double fps, media::ResultMetadata metadata,
                    media::VideoCodec codec) {
  const std::string p = path.toStdString();
  return [frames = std::move(frames), p, fps, metadata = std::move(metadata), codec](ModelBundle&,
                                                                                      JobContext& ctx) -> Result<JobOutcome> {
    if (frames.kind != FrameKind::Image || frames.empty())
      return makeError(ErrorKind::BadInput, "nothing to export: render the project first");
    // core/media's one writer (the CLI's too): the clip, then its sidecar once it is in place.
    media::FrameWriteOptions options;
    options.fps = fps;
    options.codec = codec;
    options.metadata = metadata;
    options.ctx = &ctx;
    if (auto r = media::writeFrames(p, frames, options); !r) return r.error();
    return committedReport("exported " + p);
  };
}

JobFn writePngSequenceJob(FrameBuffer frames, const QString& dir, const QString& stem, media::ResultMetadata metadata) {
  return [frames = std::move(frames), dir, stem, metadata = std::move(metadata)](ModelBundle&, JobContext& ctx) -> Result<JobOutcome> {
    auto n = exportPngSequence(frames, dir, stem, &ctx, metadata);
    if (!n) return n.error();
    return committedReport("exported " + std::to_string(*n) + " frames to " + dir.toStdString());
  };
}

}  // namespace ns::ui
