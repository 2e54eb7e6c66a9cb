#include "core/media/video_io.h"

#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include <unistd.h>

#include "core/media/image_io.h"
#include "core/media/media_kind.h"
#include "core/media/video_frames.h"

namespace ns::media {

namespace fs = std::filesystem;

namespace {
std::string lowerExt(const std::string& path) {
  std::string e = fs::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return e;
}

// Decoders hand out BGR, but a grey or BGRA stream is possible: make it BGR. False: not 8-bit.
bool toBgr(cv::Mat& frame) {
  if (frame.type() == CV_8UC3) return true;
  if (frame.type() == CV_8UC1) cv::cvtColor(frame, frame, cv::COLOR_GRAY2BGR);
  else if (frame.type() == CV_8UC4) cv::cvtColor(frame, frame, cv::COLOR_BGRA2BGR);
  else return false;
  return true;
}
}  // namespace

bool isVideoPath(const std::string& path) { return classifyMediaPath(path) == MediaKind::Video; }

Result<VideoClip> readVideo(const std::string& path, const VideoLimits& limits) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return makeError(ErrorKind::BadInput, path + ": file not found");
  if (fs::file_size(path, ec) == 0) return makeError(ErrorKind::BadInput, path + ": the file is empty");
  cv::VideoCapture cap;
  try {
    cap.open(path, cv::CAP_FFMPEG);
  } catch (const cv::Exception& e) {
    return makeError(ErrorKind::BadInput, path + ": cannot open video (" + e.what() + ")");
  }
  if (!cap.isOpened()) return makeError(ErrorKind::BadInput, path + ": not a readable video (unknown container or codec)");
  const int w = int(cap.get(cv::CAP_PROP_FRAME_WIDTH)), h = int(cap.get(cv::CAP_PROP_FRAME_HEIGHT));
  if (w <= 0 || h <= 0) return makeError(ErrorKind::BadInput, path + ": the video reports no frame size");
  if (w > limits.maxWidth || h > limits.maxHeight)
    return makeError(ErrorKind::BadInput, path + ": frames are " + std::to_string(w) + "x" + std::to_string(h) +
                                              ", larger than the limit " + std::to_string(limits.maxWidth) + "x" +
                                              std::to_string(limits.maxHeight));
  double fps = cap.get(cv::CAP_PROP_FPS);
  if (!(fps > 0 && fps < 1000)) fps = 24.0;
  // Frames are converted straight into the clip tensor, sized by the container's frame count
  // (exact for most files, only a hint for some): frames beyond it go to `extra`, unused slots
  // are dropped at the end.
  const int64_t frameBytes = int64_t(3) * w * h * int64_t(sizeof(float));
  const double hint = cap.get(cv::CAP_PROP_FRAME_COUNT);
  const bool hintFits = hint >= 1 && hint <= double(limits.maxFrames) && hint * double(frameBytes) <= double(limits.maxDecodedBytes);
  const int64_t capacity = hintFits ? int64_t(hint) : 0;
  at::Tensor out = at::empty({capacity, 3, h, w}, at::kFloat);
  std::vector<at::Tensor> extra;
  int64_t count = 0;
  cv::Mat frame;
  while (true) {
    bool ok = false;
    try {
      ok = cap.read(frame);
    } catch (const cv::Exception& e) {
      return makeError(ErrorKind::BadInput, path + ": decoding failed at frame " + std::to_string(count) + " (" +
                                                e.what() + ")");
    }
    if (!ok || frame.empty()) break;
    if (count >= limits.maxFrames)
      return makeError(ErrorKind::BadInput, path + ": more than " + std::to_string(limits.maxFrames) +
                                                " frames (raise the frame limit to load it)");
    if ((count + 1) * frameBytes > limits.maxDecodedBytes)
      return makeError(ErrorKind::BadInput, path + ": more than " + std::to_string(count) + " frames of " +
                                                std::to_string(w) + "x" + std::to_string(h) + " do not fit the " +
                                                std::to_string(limits.maxDecodedBytes >> 20) + " MB decoding limit");
    if (frame.cols != w || frame.rows != h)
      return makeError(ErrorKind::BadInput, path + ": frame " + std::to_string(count) + " changes size");
    if (!toBgr(frame))
      return makeError(ErrorKind::BadInput, path + ": frame " + std::to_string(count) + " is not 8-bit colour");
    at::Tensor dst = count < capacity ? out[count] : extra.emplace_back(at::empty({3, h, w}, at::kFloat));
    bgrToPlanarRgb(frame.ptr<uint8_t>(0), frame.step[0], w, h, dst.data_ptr<float>());
    ++count;
  }
  if (count == 0) return makeError(ErrorKind::BadInput, path + ": the video has no decodable frames");
  VideoClip clip;
  if (!extra.empty())
    clip.frames = at::cat({out, at::stack(extra)});
  else
    clip.frames = count == capacity ? out : out.narrow(0, 0, count).clone();  // clone: free the unused slots
  clip.fps = fps;
  if (capacity != count)
    spdlog::warn("{}: the container announces {} frames, {} decoded", path, capacity, count);
  spdlog::info("read {}: {} frames {}x{} at {:.2f} fps", path, count, w, h, fps);
  return clip;
}

const char* videoCodecName(VideoCodec c) {
  switch (c) {
    case VideoCodec::H264: return "H.264";
    case VideoCodec::Mpeg4: return "MPEG-4";
    case VideoCodec::Ffv1: return "FFV1 (lossless)";
    case VideoCodec::Mjpeg: return "Motion JPEG";
    default: return "default";
  }
}

namespace {

// The FourCC for (codec, extension), or 0 with `why` when the container cannot hold the codec.
int fourccFor(VideoCodec codec, const std::string& ext, std::string& why) {
  const bool mp4 = ext == ".mp4" || ext == ".m4v" || ext == ".mov";
  if (!mp4 && ext != ".avi" && ext != ".mkv") {
    why = "unsupported video extension '" + ext + "' (use .mp4, .avi or .mkv)";
    return 0;
  }
  if (codec == VideoCodec::Default) codec = mp4 ? VideoCodec::Mpeg4 : ext == ".avi" ? VideoCodec::Mjpeg : VideoCodec::Ffv1;
  switch (codec) {
    case VideoCodec::H264:
      if (ext == ".avi") break;
      return cv::VideoWriter::fourcc('a', 'v', 'c', '1');
    case VideoCodec::Mpeg4: return cv::VideoWriter::fourcc('m', 'p', '4', 'v');
    case VideoCodec::Mjpeg: return cv::VideoWriter::fourcc('M', 'J', 'P', 'G');
    case VideoCodec::Ffv1:
      if (ext != ".mkv") break;
      return cv::VideoWriter::fourcc('F', 'F', 'V', '1');
    default: break;
  }
  why = std::string(videoCodecName(codec)) + " cannot be written into a " + ext + " file" +
        (codec == VideoCodec::Ffv1 ? " (use .mkv)" : "");
  return 0;
}

}  // namespace

bool videoCodecAvailable(VideoCodec codec, const std::string& ext) {
  static std::mutex mutex;
  static std::map<std::pair<int, std::string>, bool> known;
  std::lock_guard<std::mutex> lock(mutex);
  const auto key = std::make_pair(int(codec), ext);
  if (auto it = known.find(key); it != known.end()) return it->second;
  std::string why;
  const int fourcc = fourccFor(codec, ext, why);
  bool ok = false;
  if (fourcc != 0) {
    std::error_code ec;
    const fs::path probe = fs::temp_directory_path(ec) / ("noisestudio-codec-probe-" + std::to_string(::getpid()) + ext);
    try {
      cv::VideoWriter w(probe.string(), cv::CAP_FFMPEG, fourcc, 8.0, cv::Size(64, 64));
      ok = w.isOpened();
      if (ok) w.write(cv::Mat(64, 64, CV_8UC3, cv::Scalar(0, 0, 0)));
    } catch (const cv::Exception&) {
      ok = false;
    }
    fs::remove(probe, ec);
  }
  known[key] = ok;
  return ok;
}

Result<void> writeVideo(const std::string& path, const at::Tensor& framesIn, double fps, const JobContext* ctx,
                        VideoCodec codec) {
  const at::Tensor frames = framesIn.detach().to(at::kCPU).to(at::kFloat).contiguous();
  if (frames.dim() != 4 || frames.size(1) != 3)
    return makeError(ErrorKind::Internal, path + ": writeVideo expects [F,3,H,W]");
  const std::string ext = lowerExt(path);
  std::string why;
  const int fourcc = fourccFor(codec, ext, why);
  if (fourcc == 0) return makeError(ErrorKind::BadInput, path + ": " + why);
  const int h = int(frames.size(2)), w = int(frames.size(3));
  // The temp name keeps the extension: FFmpeg picks the container from it.
  const fs::path target(path);
  const fs::path tmp = target.parent_path() / (".tmp-" + target.filename().string());
  auto dropTemp = [&tmp] {
    std::error_code ignored;
    fs::remove(tmp, ignored);
  };
  {
    cv::VideoWriter writer;
    try {
      writer.open(tmp.string(), cv::CAP_FFMPEG, fourcc, fps > 0 ? fps : 24.0, cv::Size(w, h));
    } catch (const cv::Exception& e) {
      dropTemp();
      return makeError(ErrorKind::Io, path + ": cannot open video writer (" + e.what() + ")");
    }
    if (!writer.isOpened()) {
      dropTemp();
      if (codec == VideoCodec::H264)
        return makeError(ErrorKind::Io, path + ": this system's FFmpeg cannot encode H.264; export MPEG-4 or FFV1 instead");
      return makeError(ErrorKind::Io, path + ": cannot open a video writer for this format");
    }
    const int total = int(frames.size(0));
    const float* src = frames.data_ptr<float>();
    const size_t frameFloats = size_t(3) * size_t(h) * size_t(w);
    cv::Mat bgr(h, w, CV_8UC3);  // reused for every frame
    for (int i = 0; i < total; ++i) {
      if (ctx && !ctx->report(i, total, "export")) {
        writer.release();
        dropTemp();
        return makeError(ErrorKind::Cancelled, path + ": export cancelled; nothing was written");
      }
      planarRgbToBgr(src + size_t(i) * frameFloats, w, h, bgr.ptr<uint8_t>(0), bgr.step[0]);
      writer.write(bgr);
    }
    if (ctx) ctx->report(total, total, "export");
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    dropTemp();
    return makeError(ErrorKind::Io, path + ": cannot move the finished video into place: " + ec.message());
  }
  return {};
}

Result<int> writeImageSequence(const std::string& dir, const std::string& stem, const at::Tensor& frames) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return makeError(ErrorKind::Io, dir + ": cannot create folder: " + ec.message());
  char name[64];
  for (int64_t i = 0; i < frames.size(0); ++i) {
    std::snprintf(name, sizeof(name), "_%04d.png", int(i));
    auto r = writeImage((fs::path(dir) / (stem + name)).string(), frames[i]);
    if (!r.ok()) return r.error();
  }
  return int(frames.size(0));
}

}  // namespace ns::media
