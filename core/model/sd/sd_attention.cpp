#include "core/model/sd/sd_attention.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

namespace ns::sd {

namespace {
// Bytes of fp32 scores one chunk may hold. 64 MiB keeps the 512² self-attention of the SD UNet
// (16 batch·heads × 4096 × 4096 scores = 1 GiB in one piece) bounded while chunks stay big enough
// that the matmuls run at full speed.
constexpr int64_t kScoreBudgetBytes = 64ll << 20;
}  // namespace

at::Tensor multiHeadAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                              const at::Tensor& mask) {
  const int64_t b = q.size(0), n = q.size(1), m = k.size(1), inner = q.size(2);
  TORCH_CHECK(inner % heads == 0, "multiHeadAttention: width ", inner, " does not split into ", heads, " heads");
  const int64_t d = inner / heads;
  const double scale = 1.0 / std::sqrt(double(d));
  // [B,N,H,d] -> [B·H,N,d]
  auto split = [&](const at::Tensor& x, int64_t len) {
    return x.reshape({b, len, heads, d}).permute({0, 2, 1, 3}).reshape({b * heads, len, d});
  };
  at::Tensor qh = split(q * scale, n), kt = split(k, m).transpose(1, 2), vh = split(v, m);
  const int64_t perRow = b * heads * m * int64_t(sizeof(float));
  const int64_t rows = std::max<int64_t>(1, std::min<int64_t>(n, kScoreBudgetBytes / std::max<int64_t>(perRow, 1)));
  at::Tensor out;
  if (rows >= n) {
    at::Tensor s = at::bmm(qh, kt);
    if (mask.defined()) s.add_(mask);
    out = at::bmm(s.softmax(-1), vh);
  } else {
    out = at::empty({b * heads, n, d}, q.options());
    for (int64_t r = 0; r < n; r += rows) {
      const int64_t e = std::min(n, r + rows);
      at::Tensor s = at::bmm(qh.slice(1, r, e), kt);
      if (mask.defined()) s.add_(mask.dim() >= 2 ? mask.slice(-2, r, e) : mask);
      at::Tensor rowsOut = out.slice(1, r, e);
      at::bmm_out(rowsOut, s.softmax(-1), vh);
    }
  }
  return out.reshape({b, heads, n, d}).permute({0, 2, 1, 3}).reshape({b, n, inner});
}

}  // namespace ns::sd
