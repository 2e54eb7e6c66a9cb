#include "core/media/frame_writer.h"

#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

#include "core/media/media_kind.h"
#include "core/media/png_text.h"
#include "core/media/video_io.h"
#include "core/util/atomic_file.h"

namespace ns::media {

namespace fs = std::filesystem;

namespace {

// The frames to write, whatever they came as: a count, and frame i as 8-bit BGR.
struct Frames8 {
  int count = 0;
  std::function<cv::Mat(int)> bgr;
};

Result<Frames8> fromTensor(const at::Tensor& in, const std::string& name) {
  at::Tensor t = in.detach().to(at::kCPU).to(at::kFloat);
  if (t.dim() == 3) t = t.unsqueeze(0);
  if (t.dim() != 4 || t.size(1) != 3 || t.size(0) < 1)
    return makeError(ErrorKind::Internal, name + ": expected frames [F,3,H,W], got " + std::to_string(t.dim()) + "-d");
  // Quantised as writeImage always did: round((v + 1) * 127.5), clamped.
  const at::Tensor u8 = t.add(1.0).mul(127.5).round().clamp(0, 255).to(at::kByte).permute({0, 2, 3, 1}).contiguous();
  Frames8 f;
  f.count = int(u8.size(0));
  f.bgr = [u8](int i) {
    const at::Tensor frame = u8[i];
    cv::Mat rgb(int(frame.size(0)), int(frame.size(1)), CV_8UC3, frame.data_ptr());
    cv::Mat bgr;
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);  // copies: `frame` may go
    return bgr;
  };
  return f;
}

Result<Frames8> fromBuffer(const FrameBuffer& fb, const std::string& name) {
  if (fb.kind != FrameKind::Image || fb.channels != 3 || fb.empty() || fb.data.size() < fb.frameSize() * size_t(fb.count))
    return makeError(ErrorKind::BadInput, name + ": nothing to write (no RGB frames): render the project first");
  Frames8 f;
  f.count = fb.count;
  f.bgr = [&fb](int i) {
    // Quantised as the window always did (frameToImage): round(clamp(v, 0, 1) * 255).
    cv::Mat bgr(fb.height, fb.width, CV_8UC3);
    const float* src = fb.frame(i);
    const size_t plane = size_t(fb.height) * size_t(fb.width);
    for (int y = 0; y < fb.height; ++y) {
      uchar* row = bgr.ptr<uchar>(y);
      for (int x = 0; x < fb.width; ++x)
        for (int c = 0; c < 3; ++c) {
          const float v = std::clamp(src[c * plane + size_t(y) * fb.width + x], 0.0f, 1.0f);
          row[3 * x + (2 - c)] = uchar(std::lround(v * 255.0f));
        }
    }
    return bgr;
  };
  return f;
}

// Frame i encoded for `ext`, PNG text chunks inserted before anything touches the disk.
Result<std::string> encode(const cv::Mat& bgr, const std::string& ext, const ResultMetadata& metadata,
                           const std::string& name) {
  std::vector<uchar> buf;
  try {
    if (!cv::imencode(ext, bgr, buf)) return makeError(ErrorKind::BadInput, name + ": cannot encode a picture as '" + ext + "'");
  } catch (const cv::Exception& e) {
    return makeError(ErrorKind::BadInput, name + ": cannot encode the picture (" + e.what() + ")");
  }
  std::string bytes(buf.begin(), buf.end());
  if (!metadata.empty() && hasPngSignature(buf.data(), buf.size())) {
    auto tagged = insertPngText(bytes, metadataPngText(metadata));
    if (!tagged.ok()) return makeError(tagged.error().kind, name + ": " + tagged.error().message);
    bytes = std::move(*tagged);
  }
  return bytes;
}

std::string lowerExtension(const std::string& path) {
  std::string e = fs::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return e;
}

Result<void> makeFolder(const fs::path& dir) {
  if (dir.empty()) return {};
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return makeError(ErrorKind::Io, dir.string() + ": cannot create the output folder: " + ec.message());
  return {};
}

bool cancelled(const FrameWriteOptions& o, int i, int total) { return o.ctx && !o.ctx->report(i, total, "export"); }

// A hidden folder beside the targets, removed with everything in it when this goes.
struct StagingFolder {
  fs::path path;
  ~StagingFolder() {
    std::error_code ignored;
    if (!path.empty()) fs::remove_all(path, ignored);
  }
};

Result<std::vector<std::string>> writeSequence(const fs::path& dir, const std::string& stem, const std::string& ext,
                                               const Frames8& frames, const FrameWriteOptions& o) {
  if (auto made = makeFolder(dir); !made.ok()) return made.error();
  std::vector<std::string> targets;
  for (int i = 0; i < frames.count; ++i) {
    char suffix[16];
    std::snprintf(suffix, sizeof(suffix), "_%04d", i);
    targets.push_back((dir / (stem + suffix + ext)).string());
    // A name taken by something that is not a file would fail half way through the moves below.
    std::error_code ec;
    if (fs::exists(targets.back(), ec) && !fs::is_regular_file(targets.back(), ec))
      return makeError(ErrorKind::Io, targets.back() + ": exists and is not a file");
  }
  std::string pattern = (dir.empty() ? fs::path(".") : dir) / ".ns-export-XXXXXX";
  StagingFolder staging;
  if (!::mkdtemp(pattern.data()))
    return makeError(ErrorKind::Io, (dir.empty() ? std::string(".") : dir.string()) + ": cannot write into the folder");
  staging.path = pattern;
  std::vector<fs::path> staged;
  for (int i = 0; i < frames.count; ++i) {
    if (cancelled(o, i, frames.count))
      return makeError(ErrorKind::Cancelled, targets[size_t(i)] + ": export cancelled; nothing was written");
    ResultMetadata meta = o.metadata;
    if (!meta.empty()) meta.frame = i;
    auto bytes = encode(frames.bgr(i), ext.empty() ? ".png" : ext, meta, targets[size_t(i)]);
    if (!bytes.ok()) return bytes.error();
    staged.push_back(staging.path / fs::path(targets[size_t(i)]).filename());
    std::ofstream out(staged.back(), std::ios::binary | std::ios::trunc);
    out.write(bytes->data(), std::streamsize(bytes->size()));
    out.close();
    if (!out) return makeError(ErrorKind::Io, targets[size_t(i)] + ": write failed (disk full?); nothing was written");
  }
  if (o.ctx) o.ctx->report(frames.count, frames.count, "export");
  for (int i = 0; i < frames.count; ++i) {
    // rename(2) replaces an existing file atomically, frame by frame.
    std::error_code ec;
    fs::rename(staged[size_t(i)], targets[size_t(i)], ec);
    if (ec) return makeError(ErrorKind::Io, targets[size_t(i)] + ": cannot move the picture into place: " + ec.message());
  }
  return targets;
}

Result<std::vector<std::string>> writeOnePicture(const std::string& path, const Frames8& frames, const FrameWriteOptions& o) {
  if (auto made = makeFolder(fs::path(path).parent_path()); !made.ok()) return made.error();
  if (cancelled(o, 0, 1)) return makeError(ErrorKind::Cancelled, path + ": export cancelled; nothing was written");
  const std::string ext = lowerExtension(path);
  auto bytes = encode(frames.bgr(0), ext.empty() ? ".png" : ext, o.metadata, path);
  if (!bytes.ok()) return bytes.error();
  if (auto w = writeFileAtomic(path, *bytes, BackupMode::None); !w.ok()) return w.error();
  if (o.ctx) o.ctx->report(1, 1, "export");
  return std::vector<std::string>{path};
}

Result<std::vector<std::string>> writeClip(const std::string& path, const at::Tensor& images, const FrameWriteOptions& o) {
  if (auto made = makeFolder(fs::path(path).parent_path()); !made.ok()) return made.error();
  if (auto r = writeVideo(path, images, o.fps, o.ctx, o.codec); !r.ok()) return r.error();
  // After the clip is in place: a sidecar never describes a clip that is not there.
  if (auto s = writeSidecar(path, o.metadata); !s.ok()) return s.error();
  return std::vector<std::string>{path};
}

Result<std::vector<std::string>> writeAny(const std::string& path, const Frames8& frames, const FrameWriteOptions& o) {
  if (frames.count == 1) return writeOnePicture(path, frames, o);
  const fs::path p(path);
  return writeSequence(p.parent_path(), p.stem().string(), p.extension().string(), frames, o);
}

}  // namespace

Result<std::vector<std::string>> writeFrames(const std::string& path, const at::Tensor& frames, const FrameWriteOptions& o) {
  if (isVideoPath(path)) return writeClip(path, frames, o);
  auto f = fromTensor(frames, path);
  if (!f.ok()) return f.error();
  return writeAny(path, *f, o);
}

Result<std::vector<std::string>> writeFrames(const std::string& path, const FrameBuffer& frames, const FrameWriteOptions& o) {
  auto f = fromBuffer(frames, path);
  if (!f.ok()) return f.error();
  if (isVideoPath(path)) {
    // The clip writer reads [-1,1] images.
    const at::Tensor images =
        at::from_blob(const_cast<float*>(frames.data.data()), {frames.count, 3, frames.height, frames.width}, at::kFloat)
            .mul(2.0)
            .sub(1.0);
    return writeClip(path, images, o);
  }
  return writeAny(path, *f, o);
}

Result<std::vector<std::string>> writePictureSequence(const std::string& dir, const std::string& stem, const std::string& ext,
                                                      const at::Tensor& frames, const FrameWriteOptions& o) {
  auto f = fromTensor(frames, (fs::path(dir) / stem).string());
  if (!f.ok()) return f.error();
  return writeSequence(dir, stem, ext, *f, o);
}

Result<std::vector<std::string>> writePictureSequence(const std::string& dir, const std::string& stem, const std::string& ext,
                                                      const FrameBuffer& frames, const FrameWriteOptions& o) {
  auto f = fromBuffer(frames, (fs::path(dir) / stem).string());
  if (!f.ok()) return f.error();
  return writeSequence(dir, stem, ext, *f, o);
}

}  // namespace ns::media
