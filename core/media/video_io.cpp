#include "core/media/video_io.h"

#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <vector>

#include "core/media/image_io.h"

namespace ns::media {

namespace fs = std::filesystem;

namespace {
std::string lowerExt(const std::string& path) {
  std::string e = fs::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return e;
}

at::Tensor matToTensor(const cv::Mat& bgr) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return at::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, at::kByte).clone().permute({2, 0, 1});
}
}  // namespace

bool isVideoPath(const std::string& path) {
  static const std::vector<std::string> exts{".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".gif", ".mpg", ".mpeg"};
  const std::string e = lowerExt(path);
  return std::find(exts.begin(), exts.end(), e) != exts.end();
}

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
  std::vector<at::Tensor> frames;
  cv::Mat frame;
  while (true) {
    bool ok = false;
    try {
      ok = cap.read(frame);
    } catch (const cv::Exception& e) {
      return makeError(ErrorKind::BadInput, path + ": decoding failed at frame " + std::to_string(frames.size()) +
                                                " (" + e.what() + ")");
    }
    if (!ok || frame.empty()) break;
    if (int(frames.size()) >= limits.maxFrames)
      return makeError(ErrorKind::BadInput, path + ": more than " + std::to_string(limits.maxFrames) +
                                                " frames (raise the frame limit to load it)");
    if (frame.cols != w || frame.rows != h)
      return makeError(ErrorKind::BadInput, path + ": frame " + std::to_string(frames.size()) + " changes size");
    frames.push_back(matToTensor(frame));
  }
  if (frames.empty()) return makeError(ErrorKind::BadInput, path + ": the video has no decodable frames");
  VideoClip clip;
  clip.frames = at::stack(frames).to(at::kFloat).div(127.5).sub(1.0).contiguous();
  clip.fps = fps;
  spdlog::info("read {}: {} frames {}x{} at {:.2f} fps", path, frames.size(), w, h, fps);
  return clip;
}

Result<void> writeVideo(const std::string& path, const at::Tensor& framesIn, double fps, const JobContext* ctx) {
  at::Tensor frames = framesIn.detach().to(at::kCPU).to(at::kFloat);
  if (frames.dim() != 4 || frames.size(1) != 3)
    return makeError(ErrorKind::Internal, path + ": writeVideo expects [F,3,H,W]");
  const std::string ext = lowerExt(path);
  int fourcc = 0;
  if (ext == ".mp4" || ext == ".m4v" || ext == ".mov") fourcc = cv::VideoWriter::fourcc('m', 'p', '4', 'v');
  else if (ext == ".avi") fourcc = cv::VideoWriter::fourcc('M', 'J', 'P', 'G');
  else if (ext == ".mkv") fourcc = cv::VideoWriter::fourcc('F', 'F', 'V', '1');
  else return makeError(ErrorKind::BadInput, path + ": unsupported video extension '" + ext + "' (use .mp4, .avi or .mkv)");
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
      return makeError(ErrorKind::Io, path + ": cannot open a video writer for this format");
    }
    at::Tensor u8 = frames.add(1.0).mul(127.5).round().clamp(0, 255).to(at::kByte).permute({0, 2, 3, 1}).contiguous();
    const int total = int(u8.size(0));
    for (int i = 0; i < total; ++i) {
      if (ctx && !ctx->report(i, total, "export")) {
        writer.release();
        dropTemp();
        return makeError(ErrorKind::Cancelled, path + ": export cancelled; nothing was written");
      }
      cv::Mat rgb(h, w, CV_8UC3, u8[i].data_ptr());
      cv::Mat bgr;
      cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
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
