#include "core/media/cutout.h"

#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

#include <algorithm>

namespace ns::media {

namespace {
cv::Mat toBgr8(const at::Tensor& img) {
  at::Tensor u8 = img.detach().to(at::kCPU).to(at::kFloat).add(1.0).mul(127.5).round().clamp(0, 255)
                      .to(at::kByte).permute({1, 2, 0}).contiguous();
  cv::Mat rgb(int(u8.size(0)), int(u8.size(1)), CV_8UC3, u8.data_ptr());
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  return bgr;
}
at::Tensor fromBgr8(const cv::Mat& bgr) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  return at::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, at::kByte).clone().permute({2, 0, 1}).to(at::kFloat);
}
}  // namespace

Result<Cutout> cutOutObject(const at::Tensor& image, const NormBox& box, int iterations) {
  if (image.dim() != 3 || image.size(0) != 3)
    return makeError(ErrorKind::BadInput, "cut-out: the image must be RGB [3,H,W]");
  const int H = int(image.size(1)), W = int(image.size(2));
  const int x0 = std::clamp(int(std::floor(box.x0 * W)), 0, W - 1), y0 = std::clamp(int(std::floor(box.y0 * H)), 0, H - 1);
  const int x1 = std::clamp(int(std::ceil(box.x1 * W)), x0 + 1, W), y1 = std::clamp(int(std::ceil(box.y1 * H)), y0 + 1, H);
  if (x1 - x0 < 4 || y1 - y0 < 4) return makeError(ErrorKind::BadInput, "cut-out: the box is too small (under 4 pixels)");
  if (x1 - x0 >= W - 1 && y1 - y0 >= H - 1)
    return makeError(ErrorKind::BadInput, "cut-out: the box covers the whole image; GrabCut needs background around it");
  cv::Mat bgr = toBgr8(image);
  cv::Mat mask(H, W, CV_8UC1, cv::Scalar(cv::GC_BGD));
  cv::Mat bgModel, fgModel;
  const cv::Rect rect(x0, y0, x1 - x0, y1 - y0);
  try {
    cv::grabCut(bgr, mask, rect, bgModel, fgModel, std::max(1, iterations), cv::GC_INIT_WITH_RECT);
  } catch (const cv::Exception& e) {
    return makeError(ErrorKind::BadInput, std::string("cut-out: GrabCut failed (") + e.what() + ")");
  }
  cv::Mat fg = (mask == cv::GC_FGD) | (mask == cv::GC_PR_FGD);  // 255 where foreground
  if (cv::countNonZero(fg) == 0) return makeError(ErrorKind::BadInput, "cut-out: no object found inside the box");

  Cutout out;
  at::Tensor fgT = at::from_blob(fg.data, {H, W}, at::kByte).clone().to(at::kFloat).div(255.0);
  out.mask = fgT;
  at::Tensor rgb01 = image.detach().to(at::kCPU).to(at::kFloat).add(1.0).div(2.0).clamp(0.0, 1.0);
  at::Tensor crop = rgb01.slice(1, y0, y1).slice(2, x0, x1);
  at::Tensor alpha = fgT.slice(0, y0, y1).slice(1, x0, x1).unsqueeze(0);
  out.sprite = at::cat({crop, alpha}, 0).contiguous();
  out.box = NormBox{float(x0) / W, float(y0) / H, float(x1) / W, float(y1) / H};

  // Inpaint a slightly dilated hole so the object's soft edge does not ghost in the background.
  cv::Mat hole;
  cv::dilate(fg, hole, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5)));
  cv::Mat filled;
  cv::inpaint(bgr, hole, filled, 5.0, cv::INPAINT_TELEA);
  out.background = fromBgr8(filled).div(127.5).sub(1.0).contiguous();
  return out;
}

}  // namespace ns::media
