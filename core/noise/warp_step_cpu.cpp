// WarpStep::runCpu — the CPU back end: a few serial passes over index arrays (counting and
// grouping are scatters, which ATen does slower on CPU) and per-channel gather/scatter loops run
// in parallel over channels. Buffers live in a WarpWorkspace so steady-state steps allocate
// nothing (fresh multi-MB allocations cost more in page faults than the arithmetic).
// See warp_step.h for the algorithm.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/noise/warp_step.h"

namespace ns {

namespace {

// Round half to even (like torch.round and grid_sample's nearest) and bounds-check. NaN and huge
// values fail the range test first, so the magic-number rounding stays exact (|v| < 2^22).
inline bool roundInto(float v, int64_t limit, int32_t& out) {
  if (!(v > -1.0f && v < float(limit) + 1.0f)) return false;
  const float r = (v + 12582912.0f) - 12582912.0f;
  if (r < 0.0f || r >= float(limit)) return false;
  out = int32_t(r);
  return true;
}

template <class T>
T* sized(std::vector<T>& v, int64_t n) {
  v.resize(size_t(n));
  return v.data();
}

// A buffer of `like`'s shape to write the next state into: the spare from the previous step when
// nobody else holds it (no views, no copies of the handle), else a new one.
at::Tensor reuseOrEmpty(at::Tensor& spare, const at::Tensor& like) {
  if (spare.defined() && spare.sizes() == like.sizes() && spare.use_count() == 1 &&
      spare.storage().use_count() == 1) {
    at::Tensor t = spare;
    spare = at::Tensor();
    return t;
  }
  spare = at::Tensor();
  return at::empty(like.sizes(), like.options());
}

}  // namespace

WarpStepInfo WarpStep::runCpu(at::Tensor& noise, at::Tensor& weight, const at::Tensor& flow, at::Generator& gen,
                              WarpWorkspace& ws) {
  const int64_t C = noise.size(0), H = noise.size(1), W = noise.size(2);
  const int64_t HW = H * W;
  TORCH_CHECK(HW < std::numeric_limits<int32_t>::max() / 2, "WarpStep: frame too large");
  const float* S = noise.data_ptr<float>();
  const float* Sw = weight.data_ptr<float>();
  const float* fx = flow.data_ptr<float>();
  const float* fy = fx + HW;

  // B. destinations (reset sources land on themselves); copies start at "own P entry kept".
  int32_t* dest = sized(ws.dest, HW);
  uint8_t* valid = sized(ws.valid, HW);
  int32_t* copies = sized(ws.copies, HW);
  at::parallel_for(0, H, 16, [&](int64_t y0, int64_t y1) {
    for (int64_t y = y0; y < y1; ++y) {
      for (int64_t x = 0; x < W; ++x) {
        const int64_t p = y * W + x;
        int32_t tx, ty;
        const bool ok = roundInto(float(x) + fx[p], W, tx) && roundInto(float(y) + fy[p], H, ty);
        valid[p] = ok;
        copies[p] = ok;
        dest[p] = ok ? int32_t(ty * W + tx) : int32_t(p);
      }
    }
  });
  // C. occupancy.
  int32_t* occ = sized(ws.occ, HW);
  std::memset(occ, 0, sizeof(int32_t) * size_t(HW));
  int64_t resets = 0;
  for (int64_t p = 0; p < HW; ++p) {
    ++occ[dest[p]];
    resets += !valid[p];
  }
  // A/D. backward lookups for the holes only (E is discarded wherever something landed).
  ws.holeQ.clear();
  ws.holeSrc.clear();
  int64_t freshHoles = 0;
  for (int64_t q = 0; q < HW; ++q) {
    if (occ[q] != 0) continue;
    const int64_t y = q / W, x = q - y * W;
    int32_t sx, sy;
    const bool ok = roundInto(float(x) - fx[q], W, sx) && roundInto(float(y) - fy[q], H, sy);
    const int32_t s = ok ? int32_t(sy * W + sx) : -1;
    ws.holeQ.push_back(int32_t(q));
    ws.holeSrc.push_back(s);
    if (s >= 0) ++copies[s];
    else ++freshHoles;
  }
  const int64_t nHoles = int64_t(ws.holeQ.size());
  const int32_t* holeQ = ws.holeQ.data();
  const int32_t* holeSrc = ws.holeSrc.data();
  // The reference's zero group: reset P pixels, E pixels overwritten because something landed,
  // and out-of-frame lookups.
  const int64_t m0 = resets + (HW - nHoles) + freshHoles;
  const float freshWeight = 1.0f / float(m0);

  // E. One pass over sources: group ids (by increasing source id), fresh-noise items in the fixed
  // order, split weights, and the contraction sums Σω², Σω.
  int32_t* gid = sized(ws.gid, HW);
  int32_t* itemP = sized(ws.itemP, HW);
  float* wP = sized(ws.wP, HW);
  float* w2 = sized(ws.w2, HW);
  float* omega = sized(ws.omega, HW);
  std::memset(w2, 0, sizeof(float) * size_t(HW));
  std::memset(omega, 0, sizeof(float) * size_t(HW));
  ws.itemGroup.clear();
  ws.gsize.clear();
  for (int64_t p = 0; p < HW; ++p) {
    const int32_t m = copies[p];
    gid[p] = -1;
    itemP[p] = -1;
    float w;
    if (m >= 2) {
      gid[p] = int32_t(ws.gsize.size());
      ws.gsize.push_back(float(m));
    }
    if (!valid[p]) {
      itemP[p] = int32_t(ws.itemGroup.size());
      ws.itemGroup.push_back(-1);
      w = freshWeight;
    } else if (m == 1) {
      w = Sw[p];
    } else {
      itemP[p] = int32_t(ws.itemGroup.size());
      ws.itemGroup.push_back(gid[p]);
      w = Sw[p] / float(m);
    }
    wP[p] = w;
    w2[dest[p]] += w * w;
    omega[dest[p]] += w;
  }
  const int64_t groups = int64_t(ws.gsize.size());
  int32_t* itemE = sized(ws.itemE, nHoles);
  float* scaleE = sized(ws.scaleE, nHoles);
  float* wE = sized(ws.wE, nHoles);
  for (int64_t h = 0; h < nHoles; ++h) {
    const int32_t s = holeSrc[h];
    itemE[h] = -1;
    if (s < 0) {
      itemE[h] = int32_t(ws.itemGroup.size());
      ws.itemGroup.push_back(-1);
      scaleE[h] = 0.0f;
      wE[h] = freshWeight;
    } else if (copies[s] == 1) {
      scaleE[h] = 1.0f;
      wE[h] = Sw[s];
    } else {
      itemE[h] = int32_t(ws.itemGroup.size());
      ws.itemGroup.push_back(gid[s]);
      const float m = float(copies[s]);
      scaleE[h] = 1.0f / std::sqrt(m);
      wE[h] = Sw[s] / m;
    }
  }
  const int64_t N = int64_t(ws.itemGroup.size());
  const int32_t* itemGroup = ws.itemGroup.data();
  float* off = sized(ws.off, N * C);  // [N, C]: φ − mean_g(φ), or φ for fresh items
  if (N > 0) {
    const at::Tensor phiT = at::randn({N, C}, gen, at::TensorOptions().dtype(at::kFloat)).contiguous();
    const float* phi = phiT.data_ptr<float>();
    float* gsum = sized(ws.gsum, groups * C);
    std::fill(gsum, gsum + groups * C, 0.0f);
    for (int64_t k = 0; k < N; ++k) {
      const int32_t g = itemGroup[k];
      if (g < 0) continue;
      for (int64_t c = 0; c < C; ++c) gsum[g * C + c] += phi[k * C + c];
    }
    for (int64_t g = 0; g < groups; ++g) {
      for (int64_t c = 0; c < C; ++c) gsum[g * C + c] = gsum[g * C + c] / ws.gsize[size_t(g)];
    }
    for (int64_t k = 0; k < N; ++k) {
      const int32_t g = itemGroup[k];
      for (int64_t c = 0; c < C; ++c) off[k * C + c] = g < 0 ? phi[k * C + c] : phi[k * C + c] - gsum[g * C + c];
    }
  }

  // F. coef = ω_p / sqrt(Σω²) (exactly 1 for a lone source); coefScale folds in the split scale
  // (1/sqrt(m), 0 for reset sources) so the channel loop is one multiply-add per source.
  float* coef = sized(ws.coef, HW);
  float* coefScale = sized(ws.coefScale, HW);
  at::parallel_for(0, HW, 1 << 15, [&](int64_t a, int64_t b) {
    for (int64_t p = a; p < b; ++p) {
      const float c = wP[p] / std::sqrt(w2[dest[p]]);
      coef[p] = c;
      const int32_t m = copies[p];
      coefScale[p] = !valid[p] ? 0.0f : (m == 1 ? c : c * (1.0f / std::sqrt(float(m))));
    }
  });

  // Noise channels: splat P, add the split/fresh parts of the few items, then write the holes.
  at::Tensor out = reuseOrEmpty(ws.spareNoise, noise);
  float* O = out.data_ptr<float>();
  at::parallel_for(0, C, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const float* s = S + c * HW;
      float* o = O + c * HW;
      std::memset(o, 0, sizeof(float) * size_t(HW));
      for (int64_t p = 0; p < HW; ++p) o[dest[p]] += coefScale[p] * s[p];
      if (N > 0) {
        for (int64_t p = 0; p < HW; ++p) {
          if (itemP[p] >= 0) o[dest[p]] += coef[p] * off[size_t(itemP[p]) * C + c];
        }
      }
      for (int64_t h = 0; h < nHoles; ++h) {
        const int32_t src = holeSrc[h];
        float v = src >= 0 ? s[src] * scaleE[h] : 0.0f;
        if (itemE[h] >= 0) v = src >= 0 ? v + off[size_t(itemE[h]) * C + c] : off[size_t(itemE[h]) * C + c];
        o[holeQ[h]] = v;
      }
    }
  });

  // G. weights: aggregate where occupied, the hole's weight elsewhere; renormalise.
  at::Tensor wOut = reuseOrEmpty(ws.spareWeight, weight);
  float* wo = wOut.data_ptr<float>();
  std::memcpy(wo, omega, sizeof(float) * size_t(HW));
  for (int64_t h = 0; h < nHoles; ++h) wo[holeQ[h]] = wE[h];
  double sum = 0;
  for (int64_t q = 0; q < HW; ++q) sum += wo[q];
  const float mean = float(sum / double(HW));
  at::parallel_for(0, HW, 1 << 14, [&](int64_t a, int64_t b) {
    for (int64_t q = a; q < b; ++q) wo[q] = std::pow(wo[q] / mean + 1e-5f, 0.9999f);
  });

  ws.spareNoise = noise;
  ws.spareWeight = weight;
  noise = out;
  weight = wOut;
  WarpStepInfo info;
  info.resets = resets;
  info.holes = nHoles;
  info.freshHoles = freshHoles;
  info.splitGroups = groups;
  info.draws = N;
  return info;
}

}  // namespace ns
