#pragma once
// Scaled dot-product attention for the SD networks, chunked over query rows so a 512²-768² image
// (4096-9216 tokens, 8 heads, CFG batch 2) never materialises the whole score matrix: each chunk's
// scores stay under a fixed budget. Same result as softmax(q·kᵀ·scale)·v in one piece (each query
// row's softmax is independent).

#include <ATen/core/Tensor.h>

namespace ns::sd {

// q [B,N,H·d], k/v [B,M,H·d] -> [B,N,H·d]. mask (optional, broadcastable to [N,M]) is added to
// the scores before the softmax (-inf entries: causal attention in the text towers).
at::Tensor multiHeadAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                              const at::Tensor& mask = {});

}  // namespace ns::sd
