// ATen first: its headers use identifiers that Qt's keyword macros (signals, slots, emit) redefine.
#include <ATen/ATen.h>

#include "ui/jobs/media_jobs.h"

#include "core/media/video_io.h"
#include "core/util/frame_tensors.h"
#include "ui/frame_convert.h"

namespace ns::ui {

JobFn readVideoJob(const QString& path, int maxFrames) {
  const std::string p = path.toStdString();
  return [p, maxFrames](ModelBundle&, JobContext&) -> Result<JobOutput> {
    media::VideoLimits limits;
    limits.maxFrames = maxFrames;
    auto clip = media::readVideo(p, limits);
    if (!clip) return clip.error();
    JobOutput out;
    out.frames.push_back(imagesToFrames(clip->frames));
    out.metrics["fps"] = clip->fps;
    out.summary = p + ": " + std::to_string(out.frames[0].count) + " frames";
    return out;
  };
}

JobFn writeVideoJob(FrameBuffer frames, const QString& path, double fps, media::ResultMetadata metadata,
                    media::VideoCodec codec) {
  const std::string p = path.toStdString();
  return [frames = std::move(frames), p, fps, metadata = std::move(metadata), codec](ModelBundle&,
                                                                                      JobContext& ctx) -> Result<JobOutput> {
    if (frames.kind != FrameKind::Image || frames.empty())
      return makeError(ErrorKind::BadInput, "nothing to export: render the project first");
    if (auto r = media::writeVideo(p, framesToImages(frames), fps, &ctx, codec); !r) return r.error();
    if (auto r = media::writeSidecar(p, metadata); !r) return r.error();
    JobOutput out;
    out.summary = "exported " + p;
    out.committed = true;  // the file is in place: a late cancel must not report otherwise
    return out;
  };
}

JobFn writePngSequenceJob(FrameBuffer frames, const QString& dir, const QString& stem, media::ResultMetadata metadata) {
  return [frames = std::move(frames), dir, stem, metadata = std::move(metadata)](ModelBundle&, JobContext& ctx) -> Result<JobOutput> {
    auto n = exportPngSequence(frames, dir, stem, &ctx, metadata);
    if (!n) return n.error();
    JobOutput out;
    out.summary = "exported " + std::to_string(*n) + " frames to " + dir.toStdString();
    out.committed = true;  // the files are in place: a late cancel must not report otherwise
    return out;
  };
}

}  // namespace ns::ui
