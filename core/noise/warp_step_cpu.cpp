// WarpStep::runCpu — the CPU back end: a few serial passes over index arrays (counting and
// grouping are scatters, which ATen does slower on CPU) and per-channel gather/scatter loops run
// in parallel over channels. See warp_step.h for the algorithm.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

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

}  // namespace

WarpStepInfo WarpStep::runCpu(at::Tensor& noise, at::Tensor& weight, const at::Tensor& flow, at::Generator& gen) {
  const int64_t C = noise.size(0), H = noise.size(1), W = noise.size(2);
  const int64_t HW = H * W;
  TORCH_CHECK(HW < std::numeric_limits<int32_t>::max(), "WarpStep: frame too large");
  const float* S = noise.data_ptr<float>();
  const float* Sw = weight.data_ptr<float>();
  const float* fx = flow.data_ptr<float>();
  const float* fy = fx + HW;
  WarpStepInfo info;

  // B. destinations (reset sources land on themselves).
  std::vector<int32_t> dest(HW);
  std::vector<uint8_t> valid(HW);
  at::parallel_for(0, H, 16, [&](int64_t y0, int64_t y1) {
    for (int64_t y = y0; y < y1; ++y) {
      for (int64_t x = 0; x < W; ++x) {
        const int64_t p = y * W + x;
        int32_t tx, ty;
        const bool ok = roundInto(float(x) + fx[p], W, tx) && roundInto(float(y) + fy[p], H, ty);
        valid[p] = ok;
        dest[p] = ok ? int32_t(ty * W + tx) : int32_t(p);
      }
    }
  });
  // C. occupancy.
  std::vector<int32_t> occ(HW, 0);
  for (int64_t p = 0; p < HW; ++p) ++occ[dest[p]];

  // A/D. backward lookups for the holes only (E is discarded wherever something landed).
  std::vector<int32_t> holeQ, holeSrc;
  for (int64_t q = 0; q < HW; ++q) {
    if (occ[q] != 0) continue;
    const int64_t y = q / W, x = q % W;
    int32_t sx, sy;
    const bool ok = roundInto(float(x) - fx[q], W, sx) && roundInto(float(y) - fy[q], H, sy);
    holeQ.push_back(int32_t(q));
    holeSrc.push_back(ok ? int32_t(sy * W + sx) : -1);
  }
  const int64_t nHoles = int64_t(holeQ.size());

  // E. copies per source id.
  std::vector<int32_t> copies(HW);
  for (int64_t p = 0; p < HW; ++p) copies[p] = valid[p];
  int64_t freshHoles = 0;
  for (int64_t h = 0; h < nHoles; ++h) {
    if (holeSrc[h] >= 0) ++copies[holeSrc[h]];
    else ++freshHoles;
  }
  int64_t resets = 0;
  for (int64_t p = 0; p < HW; ++p) resets += !valid[p];
  // The reference's zero group: reset P pixels, E pixels overwritten because something landed,
  // and out-of-frame lookups.
  const int64_t m0 = resets + (HW - nHoles) + freshHoles;
  const float freshWeight = 1.0f / float(m0);

  // Which pixels need fresh noise, in the fixed order (P raster, then holes), and their group.
  std::vector<int32_t> itemP(HW, -1), itemE(nHoles, -1);
  std::vector<int32_t> itemGroup;  // group of each item, -1 = fresh
  std::vector<int32_t> gid(HW, -1);
  int64_t groups = 0;
  for (int64_t s = 0; s < HW; ++s) {
    if (copies[s] >= 2) gid[s] = int32_t(groups++);
  }
  for (int64_t p = 0; p < HW; ++p) {
    if (!valid[p]) {
      itemP[p] = int32_t(itemGroup.size());
      itemGroup.push_back(-1);
    } else if (copies[p] >= 2) {
      itemP[p] = int32_t(itemGroup.size());
      itemGroup.push_back(gid[p]);
    }
  }
  for (int64_t h = 0; h < nHoles; ++h) {
    const int32_t s = holeSrc[h];
    if (s < 0) {
      itemE[h] = int32_t(itemGroup.size());
      itemGroup.push_back(-1);
    } else if (copies[s] >= 2) {
      itemE[h] = int32_t(itemGroup.size());
      itemGroup.push_back(gid[s]);
    }
  }
  const int64_t N = int64_t(itemGroup.size());
  std::vector<float> off;  // [N, C]: φ − mean_g(φ), or φ for fresh items
  if (N > 0) {
    const at::Tensor phiT = at::randn({N, C}, gen, at::TensorOptions().dtype(at::kFloat)).contiguous();
    const float* phi = phiT.data_ptr<float>();
    std::vector<float> gsum(size_t(groups * C), 0.0f);
    for (int64_t k = 0; k < N; ++k) {
      const int32_t g = itemGroup[k];
      if (g < 0) continue;
      for (int64_t c = 0; c < C; ++c) gsum[g * C + c] += phi[k * C + c];
    }
    // Group sizes in group order (groups are numbered by increasing source id).
    std::vector<float> gsize(groups);
    for (int64_t s = 0; s < HW; ++s) {
      if (gid[s] >= 0) gsize[gid[s]] = float(copies[s]);
    }
    for (int64_t g = 0; g < groups; ++g) {
      for (int64_t c = 0; c < C; ++c) gsum[g * C + c] = gsum[g * C + c] / gsize[g];
    }
    off.resize(size_t(N * C));
    for (int64_t k = 0; k < N; ++k) {
      const int32_t g = itemGroup[k];
      for (int64_t c = 0; c < C; ++c) {
        off[k * C + c] = g < 0 ? phi[k * C + c] : phi[k * C + c] - gsum[g * C + c];
      }
    }
  }

  // Per-source scale and weight after the split.
  std::vector<float> scaleP(HW), wP(HW);
  for (int64_t p = 0; p < HW; ++p) {
    if (!valid[p]) {
      scaleP[p] = 0.0f;
      wP[p] = freshWeight;
    } else if (copies[p] == 1) {
      scaleP[p] = 1.0f;
      wP[p] = Sw[p];
    } else {
      const float m = float(copies[p]);
      scaleP[p] = 1.0f / std::sqrt(m);
      wP[p] = Sw[p] / m;
    }
  }
  // F. weights of the aggregate: Σω², Σω; coef = ω_p / sqrt(Σω²) (exactly 1 for a lone source).
  std::vector<float> w2(HW, 0.0f), omega(HW, 0.0f);
  for (int64_t p = 0; p < HW; ++p) {
    w2[dest[p]] += wP[p] * wP[p];
    omega[dest[p]] += wP[p];
  }
  std::vector<float> coef(HW);
  for (int64_t p = 0; p < HW; ++p) coef[p] = wP[p] / std::sqrt(w2[dest[p]]);
  std::vector<float> scaleE(nHoles), wE(nHoles);
  for (int64_t h = 0; h < nHoles; ++h) {
    const int32_t s = holeSrc[h];
    if (s < 0) {
      scaleE[h] = 0.0f;
      wE[h] = freshWeight;
    } else if (copies[s] == 1) {
      scaleE[h] = 1.0f;
      wE[h] = Sw[s];
    } else {
      const float m = float(copies[s]);
      scaleE[h] = 1.0f / std::sqrt(m);
      wE[h] = Sw[s] / m;
    }
  }

  // Noise channels: splat P, then write the holes. Channels are independent planes.
  at::Tensor out = at::empty({C, H, W}, noise.options());
  float* O = out.data_ptr<float>();
  at::parallel_for(0, C, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const float* s = S + c * HW;
      float* o = O + c * HW;
      std::memset(o, 0, sizeof(float) * size_t(HW));
      for (int64_t p = 0; p < HW; ++p) {
        float v = s[p] * scaleP[p];
        if (itemP[p] >= 0) v += off[size_t(itemP[p]) * C + c];
        o[dest[p]] += coef[p] * v;
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
  at::Tensor wOut = at::empty({H, W}, weight.options());
  float* wo = wOut.data_ptr<float>();
  std::memcpy(wo, omega.data(), sizeof(float) * size_t(HW));
  for (int64_t h = 0; h < nHoles; ++h) wo[holeQ[h]] = wE[h];
  double sum = 0;
  for (int64_t q = 0; q < HW; ++q) sum += wo[q];
  const float mean = float(sum / double(HW));
  at::parallel_for(0, HW, 1 << 14, [&](int64_t a, int64_t b) {
    for (int64_t q = a; q < b; ++q) wo[q] = std::pow(wo[q] / mean + 1e-5f, 0.9999f);
  });

  noise = out;
  weight = wOut;
  info.resets = resets;
  info.holes = nHoles;
  info.freshHoles = freshHoles;
  info.splitGroups = groups;
  info.draws = N;
  return info;
}

}  // namespace ns
