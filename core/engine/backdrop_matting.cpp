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

// The backdrop as one colour per row: the median of the left and right border bands over three
// rows. Backdrops are made of horizontal layers (a gradient sky, a horizon, a floor), so a row
// model follows them where one colour for the whole picture would call half the backdrop "object";
// the median ignores an object that touches one side. Distances are to the row's colour; τ sits
// above what the border itself reaches (textured backdrops get a higher τ), with a floor so
// speckle on a flat backdrop is not an object.
struct BackdropModel {
  std::vector<std::array<float, 3>> rows;
  std::vector<float> dist;
  float tau = 0;
};

BackdropModel modelBackdrop(const float* c, int H, int W) {
  const size_t N = size_t(H) * size_t(W);
  const int band = std::max(1, std::min(H, W) / 16);
  BackdropModel m;
  m.rows.resize(size_t(H));
  for (int y = 0; y < H; ++y) {
    for (int ch = 0; ch < 3; ++ch) {
      std::vector<float> v;
      for (int yy = std::max(0, y - 1); yy <= std::min(H - 1, y + 1); ++yy)
        for (int x = 0; x < band; ++x) {
          v.push_back(c[size_t(ch) * N + size_t(yy) * size_t(W) + size_t(x)]);
          v.push_back(c[size_t(ch) * N + size_t(yy) * size_t(W) + size_t(W - 1 - x)]);
        }
      m.rows[size_t(y)][size_t(ch)] = quantile(v, 0.5);
    }
  }
  m.dist.resize(N);
  for (size_t p = 0; p < N; ++p) {
    const auto& b = m.rows[p / size_t(W)];
    const float dr = c[p] - b[0], dg = c[N + p] - b[1], db = c[2 * N + p] - b[2];
    m.dist[p] = std::sqrt(dr * dr + dg * dg + db * db);
  }
  std::vector<float> border;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      if (x < band || y < band || x >= W - band || y >= H - band) border.push_back(m.dist[size_t(y) * size_t(W) + size_t(x)]);
  m.tau = std::clamp(1.5f * quantile(border, 0.8) + 0.08f, 0.12f, 0.6f);
  return m;
}

}  // namespace

float backdropThreshold(const at::Tensor& image) {
  const at::Tensor rgb = image.detach().to(at::kCPU, at::kFloat).add(1.0).div(2.0).clamp(0.0, 1.0).contiguous();
  return modelBackdrop(rgb.data_ptr<float>(), int(rgb.size(1)), int(rgb.size(2))).tau;
}

Result<BackdropCutout> cutOutFromBackdrop(const at::Tensor& image) {
  if (!image.defined() || image.dim() != 3 || image.size(0) != 3 || image.size(1) < 8 || image.size(2) < 8)
    return makeError(ErrorKind::BadInput, "backdrop cut-out: the picture must be RGB [3,H,W] of at least 8x8 pixels");
  const int H = int(image.size(1)), W = int(image.size(2));
  const size_t N = size_t(H) * size_t(W);
  const at::Tensor rgb = image.detach().to(at::kCPU, at::kFloat).add(1.0).div(2.0).clamp(0.0, 1.0).contiguous();
  const float* c = rgb.data_ptr<float>();  // planes R, G, B
  auto at3 = [&](size_t p, int ch) { return c[size_t(ch) * N + p]; };

  // 1-2. Backdrop per row, distance to it, threshold.
  const BackdropModel bgm = modelBackdrop(c, H, W);
  const std::vector<float>& dist = bgm.dist;
  const float tau = bgm.tau;
  auto bgAt = [&](size_t p, int ch) { return bgm.rows[p / size_t(W)][size_t(ch)]; };

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
      if (h >= 0 && !touches[size_t(h)] && holeSizes[size_t(h)] < std::max(4, area / 30)) object[p] = 1;
    }
  }

  // 4. Alpha: 1 inside. On the boundary (object pixels beside the backdrop and the backdrop
  //    pixels beside the object) the pixel is a mix of the object's colour nearby and the
  //    backdrop's: its coverage is where it lies on the line between the two.
  auto isObject = [&](int x, int y) { return x >= 0 && y >= 0 && x < W && y < H && object[size_t(y) * size_t(W) + size_t(x)]; };
  std::vector<float> alpha(N, 0.f);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const size_t p = size_t(y) * size_t(W) + size_t(x);
      const int around = int(isObject(x - 1, y)) + int(isObject(x + 1, y)) + int(isObject(x, y - 1)) + int(isObject(x, y + 1));
      if (object[p] && around == 4) {
        alpha[p] = 1.f;
        continue;
      }
      if (!object[p] && around == 0) continue;
      // Mean colour of the object's interior within two pixels.
      float fg[3] = {0, 0, 0};
      int n = 0;
      for (int dy = -2; dy <= 2; ++dy)
        for (int dx = -2; dx <= 2; ++dx) {
          const int xx = x + dx, yy = y + dy;
          if (!isObject(xx, yy) || !isObject(xx - 1, yy) || !isObject(xx + 1, yy) || !isObject(xx, yy - 1) || !isObject(xx, yy + 1))
            continue;
          const size_t q = size_t(yy) * size_t(W) + size_t(xx);
          for (int ch = 0; ch < 3; ++ch) fg[ch] += at3(q, ch);
          ++n;
        }
      if (n == 0) {  // a thin part with no interior: keep the hard decision, a soft ring outside
        alpha[p] = object[p] ? 1.f : std::clamp(dist[p] / tau, 0.f, 0.95f);
        continue;
      }
      float num = 0, den = 0;
      for (int ch = 0; ch < 3; ++ch) {
        const float b = bgAt(p, ch), f = fg[ch] / float(n) - b;
        num += (at3(p, ch) - b) * f;
        den += f * f;
      }
      alpha[p] = den > 1e-6f ? std::clamp(num / den, 0.f, 1.f) : (object[p] ? 1.f : 0.f);
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
        o[size_t(ch) * M + q] = a > 0.f ? std::clamp((seen - (1.f - a) * bgAt(p, ch)) / a, 0.f, 1.f) : seen;
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
