#include "core/noise/free_noise.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>

namespace ns {

std::vector<int64_t> FreeNoise::rescheduleIndices(int64_t F, int64_t L, int64_t S, uint64_t seed) {
  TORCH_CHECK(L >= 1 && S >= 1 && S <= L, "FreeNoise: need window >= 1 and 1 <= stride <= window");
  std::vector<int64_t> idx(size_t(std::max<int64_t>(F, 0)));
  for (int64_t f = 0; f < F; ++f) idx[size_t(f)] = f;
  at::Generator gen = at::detail::createCPUGenerator(seed);
  for (int64_t i = L; i < F; i += S) {
    const int64_t start = i - L;
    const int64_t end = std::min(F, start + S);
    const int64_t len = end - start;
    if (len <= 0) break;
    const at::Tensor perm = at::randperm(len, gen, at::TensorOptions().dtype(at::kLong));
    const int64_t* p = perm.data_ptr<int64_t>();
    // Truncate the shuffled chunk to the frames left (diffusers); the sources lie before i, so
    // reading idx while writing [i, i+len) never sees this chunk's own writes.
    const int64_t count = std::min(len, F - i);
    for (int64_t j = 0; j < count; ++j) idx[size_t(i + j)] = idx[size_t(start + p[j])];
  }
  return idx;
}

at::Tensor FreeNoise::reschedule(const at::Tensor& noise, int64_t L, int64_t S, uint64_t seed, int64_t frameDim) {
  const int64_t F = noise.size(frameDim);
  const std::vector<int64_t> idx = rescheduleIndices(F, L, S, seed);
  const at::Tensor index = at::tensor(idx, at::TensorOptions().dtype(at::kLong)).to(noise.device());
  return noise.index_select(frameDim, index);
}

std::vector<FrameWindow> FreeNoise::views(int64_t F, int64_t L, int64_t S) {
  TORCH_CHECK(L >= 1 && S >= 1, "FreeNoise: need window >= 1 and stride >= 1");
  if (F <= L) return {FrameWindow{0, std::max<int64_t>(F, 0)}};
  std::vector<FrameWindow> v;
  for (int64_t i = 0; i <= (F - L) / S; ++i) v.push_back({i * S, i * S + L});
  if (v.back().end < F) v.push_back({F - L, F});
  return v;
}

std::vector<float> FreeNoise::pyramidWeights(int64_t n) {
  std::vector<float> w(size_t(std::max<int64_t>(n, 0)));
  for (int64_t i = 0; i < n; ++i) w[size_t(i)] = float(std::min(i + 1, n - i));
  return w;
}

at::Tensor FreeNoise::fuseWindows(const std::vector<at::Tensor>& outputs, const std::vector<FrameWindow>& views,
                                  int64_t F, int64_t frameDim) {
  TORCH_CHECK(!outputs.empty() && outputs.size() == views.size(), "fuseWindows: one output per view");
  // Per-frame total weight first, then each window's normalised share w/Σw (exactly 1 where one
  // window covers the frame), so the fused value is Σ share·O.
  std::vector<double> total(size_t(F), 0.0);
  for (const FrameWindow& v : views) {
    TORCH_CHECK(v.start >= 0 && v.end <= F && v.size() > 0, "fuseWindows: view outside the clip");
    const std::vector<float> w = pyramidWeights(v.size());
    for (int64_t j = 0; j < v.size(); ++j) total[size_t(v.start + j)] += w[size_t(j)];
  }
  const at::Tensor& first = outputs.front();
  const int64_t dim = frameDim < 0 ? frameDim + first.dim() : frameDim;
  std::vector<int64_t> shape = first.sizes().vec();
  shape[size_t(dim)] = F;
  at::Tensor out = at::zeros(shape, first.options());
  for (size_t k = 0; k < views.size(); ++k) {
    const FrameWindow& v = views[k];
    const at::Tensor& o = outputs[k];
    TORCH_CHECK(o.size(dim) == v.size(), "fuseWindows: output ", k, " has ", o.size(dim), " frames, its view ",
                v.size());
    const std::vector<float> w = pyramidWeights(v.size());
    std::vector<double> share(size_t(v.size()));
    for (int64_t j = 0; j < v.size(); ++j) share[size_t(j)] = double(w[size_t(j)]) / total[size_t(v.start + j)];
    std::vector<int64_t> bshape(size_t(o.dim()), 1);
    bshape[size_t(dim)] = v.size();
    const at::Tensor coef =
        at::tensor(share, at::TensorOptions().dtype(at::kDouble)).to(o.device(), o.scalar_type()).view(bshape);
    out.narrow(dim, v.start, v.size()).add_(o * coef);
  }
  return out;
}

}  // namespace ns
