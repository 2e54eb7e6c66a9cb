#include "core/engine/backdrop_matting.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace ns {

namespace {

// Labels the 4-connected regions of `on` (iterative flood fill: no recursion on big pictures).
// Returns the label of each pixel (-1 off) and each region's size.
std::vector<int> label4(const std::vector<uint8_t>& on, int W, int H, std::vector<int>& sizes) {
  std::vector<int> label(on.size(), -1);
  std::vector<int> stack;
  for (int start = 0; start < W * H; ++start) {
    if (!on[size_t(start)] || label[size_t(start)] >= 0) continue;
    const int id = int(sizes.size());
    sizes.push_back(0);
    stack.push_back(start);
    label[size_t(start)] = id;
    while (!stack.empty()) {
      const int p = stack.back();
      stack.pop_back();
      ++sizes.back();
      const int x = p % W, y = p / W;
      const int nb[4] = {x > 0 ? p - 1 : -1, x + 1 < W ? p + 1 : -1, y > 0 ? p - W : -1, y + 1 < H ? p + W : -1};
      for (int q : nb)
        if (q >= 0 && on[size_t(q)] && label[size_t(q)] < 0) {
          label[size_t(q)] = id;
          stack.push_back(q);
        }
    }
  }
  return label;
}

float quantile(std::vector<float> v, double q) {
  if (v.empty()) return 0.f;
  const size_t k = std::min(v.size() - 1, size_t(q * double(v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + long(k), v.end());
  return v[k];
}

}  // namespace

Result<BackdropCutout> cutOutFromBackdrop(const at::Tensor& image) {
  if (!image.defined() || image.dim() != 3 || image.size(0) != 3 || image.size(1) < 8 || image.size(2) < 8)
    return makeError(ErrorKind::BadInput, "backdrop cut-out: the picture must be RGB [3,H,W] of at least 8x8 pixels");
  const int H = int(image.size(1)), W = int(image.size(2));
  const size_t N = size_t(H) * size_t(W);
  const at::Tensor rgb = image.detach().to(at::kCPU, at::kFloat).add(1.0).div(2.0).clamp(0.0, 1.0).contiguous();
  const float* c = rgb.data_ptr<float>();  // planes R, G, B
  auto at3 = [&](size_t p, int ch) { return c[size_t(ch) * N + p]; };

  // 1. Backdrop colour from the border band.
  const int band = std::max(1, std::min(H, W) / 16);
  std::vector<size_t> border;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      if (x < band || y < band || x >= W - band || y >= H - band) border.push_back(size_t(y) * size_t(W) + size_t(x));
  std::array<float, 3> bg{};
  for (int ch = 0; ch < 3; ++ch) {
    std::vector<float> v;
    v.reserve(border.size());
    for (size_t p : border) v.push_back(at3(p, ch));
    bg[size_t(ch)] = quantile(v, 0.5);
  }
  std::vector<float> dist(N);
  for (size_t p = 0; p < N; ++p) {
    const float dr = at3(p, 0) - bg[0], dg = at3(p, 1) - bg[1], db = at3(p, 2) - bg[2];
    dist[p] = std::sqrt(dr * dr + dg * dg + db * db);
  }
  // 2. τ above what the backdrop's own texture reaches (most of the border is backdrop even when
  //    the object touches it), with a floor so JPEG-like speckle on a flat backdrop is not an object.
  std::vector<float> borderDist;
  borderDist.reserve(border.size());
  for (size_t p : border) borderDist.push_back(dist[p]);
  const float tau = std::clamp(1.5f * quantile(borderDist, 0.8) + 0.08f, 0.12f, 0.6f);

  // 3. Largest region beyond τ.
  std::vector<uint8_t> far(N);
  for (size_t p = 0; p < N; ++p) far[p] = dist[p] > tau;
  std::vector<int> sizes;
  const std::vector<int> label = label4(far, W, H, sizes);
  if (sizes.empty()) return makeError(ErrorKind::BadInput, "backdrop cut-out: nothing in the picture stands out from its backdrop");
  const int best = int(std::max_element(sizes.begin(), sizes.end()) - sizes.begin());
  const int area = sizes[size_t(best)];
  if (area < std::max<int>(16, int(N / 200)))
    return makeError(ErrorKind::BadInput, "backdrop cut-out: the object found is too small (" + std::to_string(area) +
                                              " pixels of " + std::to_string(N) + ")");
  if (double(area) > 0.9 * double(N))
    return makeError(ErrorKind::BadInput, "backdrop cut-out: the whole picture differs from its border: no plain backdrop to cut the object from");
  std::vector<uint8_t> object(N);
  for (size_t p = 0; p < N; ++p) object[p] = label[p] == best;

  // Enclosed holes: regions of not-object that do not touch the border. Small ones are parts of
  // the object that happen to look like the backdrop; big ones are real holes (a ring).
  {
    std::vector<uint8_t> rest(N);
    for (size_t p = 0; p < N; ++p) rest[p] = !object[p];
    std::vector<int> holeSizes;
    const std::vector<int> holes = label4(rest, W, H, holeSizes);
    std::vector<uint8_t> touches(holeSizes.size(), 0);
    for (int x = 0; x < W; ++x) {
      if (holes[size_t(x)] >= 0) touches[size_t(holes[size_t(x)])] = 1;
      const size_t b = size_t(H - 1) * size_t(W) + size_t(x);
      if (holes[b] >= 0) touches[size_t(holes[b])] = 1;
    }
    for (int y = 0; y < H; ++y) {
      const size_t l = size_t(y) * size_t(W), r = l + size_t(W - 1);
      if (holes[l] >= 0) touches[size_t(holes[l])] = 1;
      if (holes[r] >= 0) touches[size_t(holes[r])] = 1;
    }
    for (size_t p = 0; p < N; ++p) {
      const int h = holes[p];
      if (h >= 0 && !touches[size_t(h)] && holeSizes[size_t(h)] < area / 10) object[p] = 1;
    }
  }

  // 4. Alpha: 1 inside, a soft one-pixel ring outside (partial coverage of the edge pixels).
  std::vector<float> alpha(N, 0.f);
  for (size_t p = 0; p < N; ++p) alpha[p] = object[p] ? 1.f : 0.f;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const size_t p = size_t(y) * size_t(W) + size_t(x);
      if (object[p]) continue;
      const bool edge = (x > 0 && object[p - 1]) || (x + 1 < W && object[p + 1]) || (y > 0 && object[p - size_t(W)]) ||
                        (y + 1 < H && object[p + size_t(W)]);
      if (edge) alpha[p] = std::clamp(dist[p] / tau, 0.f, 0.95f);
    }

  // 5. Crop to the pixels with any alpha.
  int x0 = W, y0 = H, x1 = -1, y1 = -1;
  int opaque = 0;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const float a = alpha[size_t(y) * size_t(W) + size_t(x)];
      if (a <= 0.f) continue;
      x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
      if (a >= 0.5f) ++opaque;
    }
  const int w = x1 - x0 + 1, h = y1 - y0 + 1;
  at::Tensor out = at::zeros({4, h, w}, at::kFloat);
  float* o = out.data_ptr<float>();
  const size_t M = size_t(w) * size_t(h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const size_t p = size_t(y + y0) * size_t(W) + size_t(x + x0), q = size_t(y) * size_t(w) + size_t(x);
      const float a = alpha[p];
      o[3 * M + q] = a;
      for (int ch = 0; ch < 3; ++ch) {
        // Un-mix the backdrop from partly covered edge pixels: seen = a·object + (1−a)·backdrop.
        const float seen = at3(p, ch);
        o[size_t(ch) * M + q] = a > 0.f ? std::clamp((seen - (1.f - a) * bg[size_t(ch)]) / a, 0.f, 1.f) : seen;
      }
    }
  BackdropCutout cut;
  cut.rgba = out;
  cut.box = NormBox{float(x0) / float(W), float(y0) / float(H), float(x1 + 1) / float(W), float(y1 + 1) / float(H)};
  cut.threshold = tau;
  cut.coverage = float(opaque) / float(N);
  return cut;
}

}  // namespace ns
