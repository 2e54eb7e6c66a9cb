#pragma once
// Fréchet distance between two sets of feature vectors (the FID formula), used by
// `noisestudio-cli model eval` on the verifier's features:
//   d² = |μ1 − μ2|² + Tr(Σ1 + Σ2 − 2 (Σ1^½ Σ2 Σ1^½)^½)

#include <ATen/core/Tensor.h>

namespace ns {

// a: [N,D], b: [M,D] (N, M ≥ 2). Computed in float64.
double frechetDistance(const at::Tensor& a, const at::Tensor& b);

}  // namespace ns
