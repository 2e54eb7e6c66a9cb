#include "core/engine/frechet.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace ns {

namespace {
at::Tensor covariance(const at::Tensor& x, const at::Tensor& mean) {
  at::Tensor c = x - mean;
  return c.t().matmul(c) / double(std::max<int64_t>(1, x.size(0) - 1));
}
// Symmetric PSD square root through the eigen decomposition (negative rounding noise clipped).
at::Tensor sqrtPsd(const at::Tensor& m) {
  auto [evals, evecs] = at::linalg_eigh(m);
  return evecs.matmul(at::diag(evals.clamp_min(0).sqrt())).matmul(evecs.t());
}
}  // namespace

double frechetDistance(const at::Tensor& aIn, const at::Tensor& bIn) {
  at::Tensor a = aIn.detach().to(at::kCPU).to(at::kDouble), b = bIn.detach().to(at::kCPU).to(at::kDouble);
  at::Tensor mu1 = a.mean(0), mu2 = b.mean(0);
  at::Tensor s1 = covariance(a, mu1), s2 = covariance(b, mu2);
  at::Tensor r1 = sqrtPsd(s1);
  at::Tensor mid = r1.matmul(s2).matmul(r1);
  mid = 0.5 * (mid + mid.t());  // symmetric up to rounding
  const double trSqrt = at::linalg_eigvalsh(mid).clamp_min(0).sqrt().sum().item<double>();
  const double d2 = (mu1 - mu2).pow(2).sum().item<double>() + s1.trace().item<double>() + s2.trace().item<double>() -
                    2.0 * trSqrt;
  return std::max(0.0, d2);
}

}  // namespace ns
