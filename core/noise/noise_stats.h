#pragma once
// NoiseStats: how Gaussian and how white a noise field is. Used by the tests and by the UI's noise
// inspector. All reductions are ATen ops (sums in float64), so 10^6–10^7 samples take milliseconds
// (the KS test sorts, so it costs most; it can be subsampled).
// Thread: pure functions of their input; call from any thread. Works on CPU and CUDA tensors.

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace ns {

struct NoiseStatsOptions {
  bool ks = true;               // run the Kolmogorov–Smirnov test against N(0,1)
  int64_t ksMaxSamples = 0;     // 0 = all samples; else an evenly strided subset of this size
  bool crossChannel = true;     // compute the channel correlation matrix (needs C > 1)
};

class NoiseStats {
 public:
  int64_t count = 0;              // number of samples
  double mean = 0;
  double std = 0;                 // population standard deviation
  double lag1Horizontal = 0;      // correlation of x[..., y, x] with x[..., y, x+1]
  double lag1Vertical = 0;        // correlation of x[..., y, x] with x[..., y+1, x]
  double crossChannelMaxAbs = 0;  // max |corr(channel i, channel j)|, i != j (0 for one channel)
  double ksDistance = 0;          // sup |F_emp − Φ| against N(0,1)
  double ksPValue = 1;            // asymptotic Kolmogorov p-value of ksDistance

  // noise: [H,W], [C,H,W] or [..., C, H, W] (dim −3 is the channel). Any floating dtype.
  static NoiseStats compute(const at::Tensor& noise, const NoiseStatsOptions& options = {});

  // KS distance of `samples` (any shape, flattened) against N(0,1); returns {D, p-value}.
  static void ksTest(const at::Tensor& samples, double* distance, double* pValue);
  // P(K_n > d) for n samples, Kolmogorov's asymptotic series with Stephens' small-n correction.
  static double ksPValueFor(double distance, int64_t n);
  // Lag-1 autocorrelation along `dim` (normalised by the global mean and variance).
  static double lag1(const at::Tensor& noise, int64_t dim);
  // [C,C] float64 Pearson correlation matrix of the channels (dim −3) of noise.
  static at::Tensor channelCorrelation(const at::Tensor& noise);
  // Pearson correlation of two equally sized tensors (flattened), in float64.
  static double correlation(const at::Tensor& a, const at::Tensor& b);
};

}  // namespace ns
