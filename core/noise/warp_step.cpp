// WarpStep::run and the ATen back end (any device; the CUDA path). Mirrors runCpu step by step
// (same fresh-noise order, same float operations) so both give the same result.
#include "core/noise/warp_step.h"

#include <ATen/ATen.h>

namespace ns {

WarpStepInfo WarpStep::run(at::Tensor& noise, at::Tensor& weight, const at::Tensor& flow, at::Generator& gen,
                           WarpBackend backend, WarpWorkspace* workspace) {
  TORCH_CHECK(noise.dim() == 3 && noise.scalar_type() == at::kFloat, "WarpStep: noise must be [C,H,W] float32");
  TORCH_CHECK(weight.dim() == 2 && weight.size(0) == noise.size(1) && weight.size(1) == noise.size(2),
              "WarpStep: weight must be [H,W]");
  TORCH_CHECK(flow.dim() == 3 && flow.size(0) == 2 && flow.size(1) == noise.size(1) && flow.size(2) == noise.size(2),
              "WarpStep: flow must be [2,H,W] at the state size");
  noise = noise.contiguous();
  weight = weight.contiguous();
  const at::Tensor f = flow.to(noise.device(), at::kFloat).contiguous();
  if (backend == WarpBackend::Auto || backend == WarpBackend::Invalid) {
    backend = noise.is_cpu() ? WarpBackend::CpuLoops : WarpBackend::Aten;
  }
  if (backend == WarpBackend::CpuLoops && noise.is_cpu()) {
    if (workspace) return runCpu(noise, weight, f, gen, *workspace);
    WarpWorkspace local;
    return runCpu(noise, weight, f, gen, local);
  }
  return runAten(noise, weight, f, gen);
}

WarpStepInfo WarpStep::runAten(at::Tensor& noise, at::Tensor& weight, const at::Tensor& flow, at::Generator& gen) {
  const int64_t C = noise.size(0), H = noise.size(1), W = noise.size(2);
  const int64_t HW = H * W;
  const auto fo = noise.options();
  const auto lo = fo.dtype(at::kLong);
  const at::Tensor xs = at::arange(W, fo).unsqueeze(0).expand({H, W});
  const at::Tensor ys = at::arange(H, fo).unsqueeze(1).expand({H, W});
  const at::Tensor fx = flow[0], fy = flow[1];
  auto inBounds = [&](const at::Tensor& tx, const at::Tensor& ty) {
    return (tx >= 0) & (tx < W) & (ty >= 0) & (ty < H);  // NaN fails every comparison
  };
  auto linear = [&](const at::Tensor& tx, const at::Tensor& ty) {
    return (ty.clamp(0, H - 1) * W + tx.clamp(0, W - 1)).nan_to_num(0).to(at::kLong).reshape({-1});
  };
  const at::Tensor pix = at::arange(HW, lo);

  // B/C. destinations and occupancy.
  const at::Tensor tx = at::round(xs + fx), ty = at::round(ys + fy);
  const at::Tensor validP = inBounds(tx, ty).reshape({-1});
  const at::Tensor dest = at::where(validP, linear(tx, ty), pix);
  const at::Tensor occ = at::bincount(dest, {}, HW);
  // A/D. holes and their backward lookups.
  const at::Tensor holeQ = at::nonzero(occ == 0).reshape({-1});
  const at::Tensor sx = at::round(xs - fx), sy = at::round(ys - fy);
  const at::Tensor holeValid = inBounds(sx, sy).reshape({-1}).index_select(0, holeQ);
  const at::Tensor holeSrc = linear(sx, sy).index_select(0, holeQ);  // only meaningful where holeValid
  // E. copies per source.
  at::Tensor copies = validP.to(at::kLong);
  copies.index_add_(0, holeSrc.masked_select(holeValid), at::ones({holeValid.sum().item<int64_t>()}, lo));
  const int64_t nHoles = holeQ.numel();
  const int64_t freshHoles = nHoles - holeValid.sum().item<int64_t>();
  const int64_t resets = HW - validP.sum().item<int64_t>();
  const int64_t m0 = resets + (HW - nHoles) + freshHoles;
  const at::Tensor freshWeight = at::scalar_tensor(1.0f / float(m0), fo);

  const at::Tensor multi = copies >= 2;
  const at::Tensor copiesHole = copies.index_select(0, holeSrc);
  const at::Tensor itemsP = at::nonzero(validP.logical_not() | multi).reshape({-1});
  const at::Tensor itemsE = at::nonzero(holeValid.logical_not() | (copiesHole >= 2)).reshape({-1});
  const int64_t nP = itemsP.numel(), nE = itemsE.numel(), N = nP + nE;
  const int64_t groups = multi.sum().item<int64_t>();
  at::Tensor off = at::zeros({N, C}, fo);
  if (N > 0) {
    const at::Tensor phi = at::randn({N, C}, gen, at::TensorOptions().dtype(at::kFloat)).to(noise.device());
    const at::Tensor itemSrc = at::cat({itemsP, holeSrc.index_select(0, itemsE)});
    const at::Tensor itemMulti = at::cat({validP.index_select(0, itemsP), holeValid.index_select(0, itemsE)});
    const at::Tensor multiItems = at::nonzero(itemMulti).reshape({-1});
    const at::Tensor gid = at::cumsum(multi.to(at::kLong), 0) - 1;
    const at::Tensor itemGid = gid.index_select(0, itemSrc.index_select(0, multiItems));
    const at::Tensor phiMulti = phi.index_select(0, multiItems);
    const at::Tensor gsize = copies.masked_select(multi).to(at::kFloat).unsqueeze(1);
    const at::Tensor gmean = at::zeros({groups, C}, fo).index_add_(0, itemGid, phiMulti) / gsize;
    off = phi.clone();
    off.index_copy_(0, multiItems, phiMulti - gmean.index_select(0, itemGid));
  }

  // Split scale and weight per source, then the contraction aggregate.
  const at::Tensor copiesF = copies.to(at::kFloat);
  const at::Tensor one = at::scalar_tensor(1.0f, fo), zero = at::scalar_tensor(0.0f, fo);
  const at::Tensor Sw = weight.reshape({-1});
  const at::Tensor scaleP = at::where(validP, at::where(copies == 1, one, 1.0f / at::sqrt(copiesF)), zero);
  const at::Tensor wP = at::where(validP, Sw / copiesF, freshWeight);
  const at::Tensor S = noise.reshape({C, HW});
  at::Tensor valP = S * scaleP;
  if (nP > 0) valP.index_add_(1, itemsP, off.narrow(0, 0, nP).t());
  const at::Tensor w2 = at::zeros({HW}, fo).index_add_(0, dest, wP * wP);
  at::Tensor omega = at::zeros({HW}, fo).index_add_(0, dest, wP);
  const at::Tensor coef = wP / at::sqrt(w2.index_select(0, dest));
  at::Tensor out = at::zeros({C, HW}, fo).index_add_(1, dest, valP * coef);

  // Holes.
  const at::Tensor copiesHoleF = copiesHole.to(at::kFloat);
  const at::Tensor scaleE =
      at::where(holeValid, at::where(copiesHole == 1, one, 1.0f / at::sqrt(copiesHoleF)), zero);
  const at::Tensor wE = at::where(holeValid, Sw.index_select(0, holeSrc) / copiesHoleF, freshWeight);
  at::Tensor valE = S.index_select(1, holeSrc) * scaleE;
  if (nE > 0) valE.index_add_(1, itemsE, off.narrow(0, nP, nE).t());
  out.index_copy_(1, holeQ, valE);
  omega.index_copy_(0, holeQ, wE);

  // G. renormalise the weights.
  const float mean = float(omega.sum(at::kDouble).item<double>() / double(HW));
  omega = (omega / mean + 1e-5f).pow(0.9999f);

  noise = out.reshape({C, H, W});
  weight = omega.reshape({H, W});
  WarpStepInfo info;
  info.resets = resets;
  info.holes = nHoles;
  info.freshHoles = freshHoles;
  info.splitGroups = groups;
  info.draws = N;
  return info;
}

}  // namespace ns
