#include "core/noise/layout_iou_verifier.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ns {

namespace {

// Indices into colourNames(); -1 = none.
enum ColourId : int { kRed, kOrange, kYellow, kGreen, kBlue, kPurple, kPink, kWhite, kBlack, kBrown, kNone = -1 };

// Hue/saturation/value rules. Shaded objects keep their hue while their value drops, so hue
// decides the chromatic colours; value separates black, and low saturation white (bright) from
// grey (no name). Brown is a dark orange; pink a light red or a magenta.
int classifyId(float r, float g, float b) {
  const float mx = std::max(r, std::max(g, b)), mn = std::min(r, std::min(g, b));
  const float v = mx, c = mx - mn;
  const float s = mx > 0 ? c / mx : 0.f;
  if (v < 0.18f) return kBlack;
  if (s < 0.2f) return v >= 0.6f ? kWhite : kNone;
  float h;
  if (mx == r) h = 60.f * ((g - b) / c);
  else if (mx == g) h = 60.f * ((b - r) / c + 2.f);
  else h = 60.f * ((r - g) / c + 4.f);
  if (h < 0) h += 360.f;
  if ((h >= 345.f || h < 15.f) && s < 0.55f && v > 0.6f) return kPink;
  if (h >= 10.f && h < 45.f && v < 0.6f) return kBrown;
  if (h >= 345.f || h < 15.f) return kRed;
  if (h < 45.f) return kOrange;
  if (h < 70.f) return kYellow;
  if (h < 170.f) return kGreen;
  if (h < 260.f) return kBlue;
  if (h < 300.f) return kPurple;
  return kPink;
}

int idOf(const std::string& name) {
  const auto& names = LayoutIouVerifier::colourNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return int(i);
  }
  return kNone;
}

// Per-pixel colour ids of image [3,H,W] in [-1,1].
std::vector<int8_t> classifyImage(const at::Tensor& image, int64_t& H, int64_t& W) {
  const at::Tensor rgb = ((image.to(at::kCPU, at::kFloat) + 1.f) * 0.5f).clamp(0, 1).contiguous();
  H = rgb.size(1);
  W = rgb.size(2);
  const float* p = rgb.data_ptr<float>();
  const int64_t n = H * W;
  std::vector<int8_t> ids(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) ids[size_t(i)] = int8_t(classifyId(p[i], p[n + i], p[2 * n + i]));
  return ids;
}

// Bounding box of the largest 4-connected component of pixels with id `want`.
std::optional<NormBox> largestBlob(const std::vector<int8_t>& ids, int64_t H, int64_t W, int want, int minPixels) {
  std::vector<uint8_t> seen(ids.size(), 0);
  std::vector<int64_t> stack;
  int64_t bestCount = 0;
  NormBox best;
  for (int64_t start = 0; start < H * W; ++start) {
    if (ids[size_t(start)] != want || seen[size_t(start)]) continue;
    int64_t count = 0, x0 = W, y0 = H, x1 = -1, y1 = -1;
    stack.assign(1, start);
    seen[size_t(start)] = 1;
    while (!stack.empty()) {
      const int64_t q = stack.back();
      stack.pop_back();
      const int64_t y = q / W, x = q % W;
      ++count;
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
      const int64_t nb[4] = {x > 0 ? q - 1 : -1, x + 1 < W ? q + 1 : -1, y > 0 ? q - W : -1, y + 1 < H ? q + W : -1};
      for (int64_t m : nb) {
        if (m >= 0 && !seen[size_t(m)] && ids[size_t(m)] == want) {
          seen[size_t(m)] = 1;
          stack.push_back(m);
        }
      }
    }
    if (count > bestCount) {
      bestCount = count;
      best = NormBox{float(x0) / float(W), float(y0) / float(H), float(x1 + 1) / float(W), float(y1 + 1) / float(H)};
    }
  }
  const int64_t minCount = minPixels > 0 ? minPixels : std::max<int64_t>(4, H * W / 2000);
  if (bestCount < minCount) return std::nullopt;
  return best;
}

}  // namespace

const std::vector<std::string>& LayoutIouVerifier::colourNames() {
  static const std::vector<std::string> k{"red",    "orange", "yellow", "green", "blue",
                                          "purple", "pink",   "white",  "black", "brown"};
  return k;
}

std::string LayoutIouVerifier::classify(float r, float g, float b) {
  const int id = classifyId(r, g, b);
  return id == kNone ? std::string() : colourNames()[size_t(id)];
}

std::optional<NormBox> LayoutIouVerifier::findObjectBox(const at::Tensor& image, const std::string& colour,
                                                        int minPixels) {
  TORCH_CHECK(image.dim() == 3 && image.size(0) == 3, "findObjectBox: image must be [3,H,W]");
  const int want = idOf(colour);
  if (want == kNone) return std::nullopt;
  int64_t H = 0, W = 0;
  const std::vector<int8_t> ids = classifyImage(image, H, W);
  return largestBlob(ids, H, W, want, minPixels);
}

at::Tensor LayoutIouVerifier::score(const at::Tensor& images, const VerifierQuery& query) {
  const at::Tensor batch = images.dim() == 3 ? images.unsqueeze(0) : images;
  TORCH_CHECK(batch.dim() == 4 && batch.size(1) == 3, "LayoutIouVerifier: images must be [B,3,H,W]");
  const int64_t B = batch.size(0);
  at::Tensor out = at::zeros({B}, at::TensorOptions().dtype(at::kFloat));
  if (query.layout.empty()) return out;
  for (int64_t i = 0; i < B; ++i) {
    int64_t H = 0, W = 0;
    const std::vector<int8_t> ids = classifyImage(batch[i], H, W);
    double sum = 0;
    for (const SceneObject& o : query.layout) {
      const int want = idOf(o.colour);
      if (want == kNone) continue;
      const std::optional<NormBox> box = largestBlob(ids, H, W, want, 0);
      if (box) sum += iou(*box, o.box);
    }
    out[i] = float(sum / double(query.layout.size()));
  }
  return out;
}

}  // namespace ns
