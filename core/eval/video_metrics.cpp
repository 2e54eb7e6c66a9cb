#include "core/eval/video_metrics.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>

#include "core/model/shapes_verifier.h"

namespace ns {

FlickerScore temporalFlicker(const at::Tensor& frames, const at::Tensor& flow, const at::Tensor& occlusion,
                             const at::Tensor& objectIndex) {
  TORCH_CHECK(frames.dim() == 4 && frames.size(1) == 3, "flicker: frames must be [F,3,H,W], got ", frames.sizes());
  const int64_t F = frames.size(0), H = frames.size(2), W = frames.size(3);
  FlickerScore s;
  if (F < 2) return s;
  TORCH_CHECK(flow.dim() == 4 && flow.size(0) == F - 1 && flow.size(1) == 2 && flow.size(2) == H && flow.size(3) == W,
              "flicker: flow must be [", F - 1, ",2,", H, ",", W, "], got ", flow.sizes());
  TORCH_CHECK(!occlusion.defined() || (occlusion.numel() == (F - 1) * H * W),
              "flicker: occlusion must be [", F - 1, ",1,", H, ",", W, "], got ", occlusion.sizes());
  TORCH_CHECK(!objectIndex.defined() || objectIndex.numel() == F * H * W, "flicker: objectIndex must be [", F, ",", H,
              ",", W, "], got ", objectIndex.sizes());
  // [0,1] units, so the number reads as a fraction of the colour range.
  const at::Tensor img = ((frames.to(at::kCPU).to(at::kFloat) + 1) * 0.5).contiguous();
  const at::Tensor fl = flow.to(at::kCPU).to(at::kFloat).contiguous();
  const at::Tensor occ =
      occlusion.defined() ? occlusion.to(at::kCPU).to(at::kFloat).reshape({F - 1, H, W}).contiguous() : at::Tensor();
  const at::Tensor obj = objectIndex.defined() ? objectIndex.to(at::kCPU).to(at::kLong).reshape({F, H, W}).contiguous()
                                               : at::Tensor();
  auto I = img.accessor<float, 4>();
  auto D = fl.accessor<float, 4>();
  double sumObj = 0, sumBg = 0;
  for (int64_t k = 0; k + 1 < F; ++k) {
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        if (occ.defined() && occ.data_ptr<float>()[(k * H + y) * W + x] > 0.5f) continue;
        const float tx = float(x) + D[k][0][y][x], ty = float(y) + D[k][1][y][x];
        // Bilinear sample of frame k+1 at (tx, ty); targets off the canvas have nothing to compare.
        if (!(tx >= 0 && ty >= 0 && tx <= float(W - 1) && ty <= float(H - 1))) continue;
        const int64_t x0 = std::min<int64_t>(int64_t(std::floor(tx)), W - 1), y0 = std::min<int64_t>(int64_t(std::floor(ty)), H - 1);
        const int64_t x1 = std::min<int64_t>(x0 + 1, W - 1), y1 = std::min<int64_t>(y0 + 1, H - 1);
        const float ax = tx - float(x0), ay = ty - float(y0);
        double diff = 0;
        for (int c = 0; c < 3; ++c) {
          const float top = I[k + 1][c][y0][x0] * (1 - ax) + I[k + 1][c][y0][x1] * ax;
          const float bottom = I[k + 1][c][y1][x0] * (1 - ax) + I[k + 1][c][y1][x1] * ax;
          diff += std::abs(double(top * (1 - ay) + bottom * ay) - double(I[k][c][y][x]));
        }
        diff /= 3;
        const bool isObject = obj.defined() && obj.data_ptr<int64_t>()[(k * H + y) * W + x] >= 0;
        if (isObject)
          sumObj += diff, ++s.objectPixels;
        else
          sumBg += diff, ++s.backgroundPixels;
      }
  }
  const int64_t n = s.objectPixels + s.backgroundPixels;
  s.all = n ? (sumObj + sumBg) / double(n) : 0.0;
  s.object = s.objectPixels ? sumObj / double(s.objectPixels) : 0.0;
  s.background = s.backgroundPixels ? sumBg / double(s.backgroundPixels) : 0.0;
  return s;
}

at::Tensor cropAround(const at::Tensor& image, const NormBox& box, float margin) {
  TORCH_CHECK(image.dim() == 3, "crop: image must be [3,H,W], got ", image.sizes());
  const int64_t H = image.size(1), W = image.size(2);
  const float mx = margin * box.width(), my = margin * box.height();
  auto px = [](float v, int64_t n) { return std::clamp<int64_t>(int64_t(std::lround(v * float(n))), 0, n); };
  int64_t x0 = px(box.x0 - mx, W), x1 = px(box.x1 + mx, W), y0 = px(box.y0 - my, H), y1 = px(box.y1 + my, H);
  // A box that collapsed (or left the canvas) still gives a small patch at its nearest place.
  auto widen = [](int64_t& a, int64_t& b, int64_t n) {
    const int64_t need = std::min<int64_t>(4, n);
    if (b - a >= need) return;
    a = std::clamp<int64_t>((a + b) / 2 - need / 2, 0, n - need);
    b = a + need;
  };
  widen(x0, x1, W);
  widen(y0, y1, H);
  return image.narrow(1, y0, y1 - y0).narrow(2, x0, x1 - x0);
}

double identityAgreement(ShapesVerifier& verifier, const at::Tensor& first, const at::Tensor& last,
                         const std::vector<NormBox>& firstBoxes, const std::vector<NormBox>& lastBoxes) {
  TORCH_CHECK(firstBoxes.size() == lastBoxes.size(), "identity: ", firstBoxes.size(), " first-frame boxes but ",
              lastBoxes.size(), " last-frame boxes");
  if (firstBoxes.empty()) return 1.0;
  // The classifier takes 64x64 scenes: every crop is resized to that and classified in one batch.
  std::vector<at::Tensor> crops;
  auto resized = [](const at::Tensor& crop) {
    return at::upsample_bilinear2d(crop.unsqueeze(0).to(at::kFloat), {64, 64}, /*align_corners=*/false);
  };
  for (size_t i = 0; i < firstBoxes.size(); ++i) crops.push_back(resized(cropAround(first, firstBoxes[i])));
  for (size_t i = 0; i < lastBoxes.size(); ++i) crops.push_back(resized(cropAround(last, lastBoxes[i])));
  const ShapesPrediction pred = verifier.classify(at::cat(crops).clamp(-1, 1));
  const int64_t n = int64_t(firstBoxes.size());
  const at::Tensor same = pred.colour.narrow(0, 0, n).eq(pred.colour.narrow(0, n, n)) &
                          pred.shape.narrow(0, 0, n).eq(pred.shape.narrow(0, n, n));
  return same.to(at::kDouble).mean().item<double>();
}

}  // namespace ns
