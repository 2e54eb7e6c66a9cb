#include "core/media/image_io.h"
#include "core/media/image_frames.h"

#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

namespace ns::media {

namespace fs = std::filesystem;

namespace {
// Reads the file, probes its header against `limits` (before OpenCV allocates anything) and
// decodes it with `flags`. Every error names the file.
Result<cv::Mat> decodeChecked(const std::string& path, int flags, const ImageLimits& limits) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return makeError(ErrorKind::BadInput, path + ": file not found");
  if (fs::file_size(path, ec) == 0) return makeError(ErrorKind::BadInput, path + ": the file is empty");
  std::ifstream in(path, std::ios::binary);
  std::vector<uchar> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.eof() && in.fail()) return makeError(ErrorKind::Io, path + ": could not read the file");
  auto header = probeImageBytes(bytes.data(), bytes.size(), path);
  if (!header.ok()) return header.error();
  if (auto ok = checkImageHeader(*header, limits, path); !ok.ok()) return ok.error();
  cv::Mat img;
  try {
    img = cv::imdecode(bytes, flags);
  } catch (const cv::Exception& e) {
    return makeError(ErrorKind::BadInput, path + ": cannot decode image (" + e.what() + ")");
  }
  if (img.empty()) return makeError(ErrorKind::BadInput, path + ": not a readable image, or truncated");
  // Formats the probe does not parse are checked after decoding (OpenCV's own header limit held).
  if (auto ok = checkImageSize(img.cols, img.rows, limits, path); !ok.ok()) return ok.error();
  return img;
}
}  // namespace

Result<at::Tensor> readImage(const std::string& path, const ImageLimits& limits) {
  auto decoded = decodeChecked(path, cv::IMREAD_COLOR, limits);
  if (!decoded.ok()) return decoded.error();
  cv::Mat rgb;
  cv::cvtColor(*decoded, rgb, cv::COLOR_BGR2RGB);
  at::Tensor t = at::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, at::kByte).clone();
  return t.permute({2, 0, 1}).to(at::kFloat).div(127.5).sub(1.0).contiguous();
}

Result<FrameBuffer> readImageFrames(const std::string& path, const ImageLimits& limits) {
  auto decoded = decodeChecked(path, cv::IMREAD_COLOR, limits);
  if (!decoded.ok()) return decoded.error();
  const cv::Mat& bgr = *decoded;
  FrameBuffer fb;
  fb.kind = FrameKind::Image;
  fb.count = 1;
  fb.channels = 3;
  fb.height = bgr.rows;
  fb.width = bgr.cols;
  fb.data.resize(fb.frameSize());
  const size_t plane = size_t(fb.height) * size_t(fb.width);
  for (int y = 0; y < fb.height; ++y) {
    const uchar* row = bgr.ptr<uchar>(y);
    float* r = fb.data.data() + size_t(y) * fb.width;
    for (int x = 0; x < fb.width; ++x) {
      r[x] = row[3 * x + 2] / 255.0f;
      r[plane + x] = row[3 * x + 1] / 255.0f;
      r[2 * plane + x] = row[3 * x] / 255.0f;
    }
  }
  return fb;
}

Result<at::Tensor> readImageRgba(const std::string& path, const ImageLimits& limits) {
  auto decoded = decodeChecked(path, cv::IMREAD_UNCHANGED, limits);
  if (!decoded.ok()) return decoded.error();
  cv::Mat img = *decoded;
  if (img.depth() != CV_8U) img.convertTo(img, CV_8U, img.depth() == CV_16U ? 1.0 / 257.0 : 255.0);
  cv::Mat rgba;
  if (img.channels() == 4) cv::cvtColor(img, rgba, cv::COLOR_BGRA2RGBA);
  else if (img.channels() == 3) cv::cvtColor(img, rgba, cv::COLOR_BGR2RGBA);
  else cv::cvtColor(img, rgba, cv::COLOR_GRAY2RGBA);
  at::Tensor t = at::from_blob(rgba.data, {rgba.rows, rgba.cols, 4}, at::kByte).clone();
  return t.permute({2, 0, 1}).to(at::kFloat).div(255.0).contiguous();
}

Result<void> writeImage(const std::string& path, const at::Tensor& image, const ResultMetadata& metadata) {
  at::Tensor t = image.detach().to(at::kCPU).to(at::kFloat);
  if (t.dim() == 4 && t.size(0) == 1) t = t[0];
  if (t.dim() != 3 || t.size(0) != 3)
    return makeError(ErrorKind::Internal, path + ": writeImage expects [3,H,W], got " + std::to_string(t.dim()) + "-d");
  at::Tensor u8 = t.add(1.0).mul(127.5).round().clamp(0, 255).to(at::kByte).permute({1, 2, 0}).contiguous();
  cv::Mat rgb(static_cast<int>(u8.size(0)), static_cast<int>(u8.size(1)), CV_8UC3, u8.data_ptr());
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  std::vector<uchar> buf;
  const std::string ext = fs::path(path).extension().string();
  try {
    if (!cv::imencode(ext.empty() ? ".png" : ext, bgr, buf))
      return makeError(ErrorKind::BadInput, path + ": cannot encode an image with extension '" + ext + "'");
  } catch (const cv::Exception& e) {
    return makeError(ErrorKind::BadInput, path + ": cannot encode image (" + e.what() + ")");
  }
  if (!metadata.empty() && hasPngSignature(buf.data(), buf.size())) {
    // The chunks go into the encoded bytes before anything touches the disk: the file appears
    // (renamed into place) complete with its metadata or not at all.
    auto tagged = insertPngText(std::string(buf.begin(), buf.end()), metadataPngText(metadata));
    if (!tagged.ok()) return makeError(tagged.error().kind, path + ": " + tagged.error().message);
    buf.assign(tagged->begin(), tagged->end());
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return makeError(ErrorKind::Io, path + ": cannot open for writing");
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
    if (!out) {
      out.close();
      std::error_code ignored;
      fs::remove(tmp, ignored);  // never leave a partial file behind
      return makeError(ErrorKind::Io, path + ": write failed (disk full?)");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return makeError(ErrorKind::Io, path + ": cannot rename temporary file: " + ec.message());
  }
  return {};
}

}  // namespace ns::media
