#include "core/media/optical_flow.h"

#include <ATen/ATen.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include <vector>

namespace ns::media {

namespace {
cv::Mat toGray(const at::Tensor& img) {
  at::Tensor u8 = img.detach().to(at::kCPU).to(at::kFloat).add(1.0).mul(127.5).round().clamp(0, 255)
                      .to(at::kByte).permute({1, 2, 0}).contiguous();
  cv::Mat rgb(int(u8.size(0)), int(u8.size(1)), CV_8UC3, u8.data_ptr());
  cv::Mat gray;
  cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);  // copies, so u8 may go away
  return gray;
}
}  // namespace

at::Tensor computeFlow(const at::Tensor& a, const at::Tensor& b, FlowMethod method) {
  cv::Mat ga = toGray(a), gb = toGray(b);
  cv::Mat flow;
  if (method == FlowMethod::Farneback) {
    cv::calcOpticalFlowFarneback(ga, gb, flow, 0.5, 4, 15, 3, 5, 1.2, 0);
  } else {
    int preset = cv::DISOpticalFlow::PRESET_MEDIUM;
    if (method == FlowMethod::DisUltrafast) preset = cv::DISOpticalFlow::PRESET_ULTRAFAST;
    if (method == FlowMethod::DisFast) preset = cv::DISOpticalFlow::PRESET_FAST;
    cv::Ptr<cv::DISOpticalFlow> dis = cv::DISOpticalFlow::create(preset);
    dis->calc(ga, gb, flow);
  }
  // flow: HxW CV_32FC2 (dx, dy) -> [2,H,W]
  at::Tensor t = at::from_blob(flow.data, {flow.rows, flow.cols, 2}, at::kFloat).clone();
  return t.permute({2, 0, 1}).contiguous();
}

at::Tensor computeFlowSequence(const at::Tensor& frames, FlowMethod method) {
  std::vector<at::Tensor> flows;
  for (int64_t i = 0; i + 1 < frames.size(0); ++i) flows.push_back(computeFlow(frames[i], frames[i + 1], method));
  if (flows.empty()) return at::zeros({0, 2, frames.size(2), frames.size(3)});
  return at::stack(flows);
}

}  // namespace ns::media
