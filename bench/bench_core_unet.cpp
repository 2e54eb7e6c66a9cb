// Speed of the built-in model on this machine: UNet forward at batch 1 and 2 on 16×16×4 latents
// (a 64×64 image), one full DDIM step with classifier-free guidance (the unit the 40 ms budget
// is about: the UNet at batch 2 + guidance + update, through sampleDdim), the autoencoder
// decode, and a plain eager matmul measured in the same run as the baseline: "GFLOP/s" counters
// compare each network's achieved rate with what the BLAS reaches on a large matmul.
// Rates use wall-clock time (UseRealTime): with intra-op threads, CPU time of the main thread alone
// would overstate them. Run: build-*/bench/bench_core_unet [--benchmark_filter=...].
#include <ATen/CPUGeneratorImpl.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <benchmark/benchmark.h>
#include <c10/core/InferenceMode.h>

#include "core/diffusion/ddim_sampler.h"
#include "core/diffusion/noise_schedule.h"
#include "core/model/builtin_denoiser.h"
#include "core/model/nn/builtin_nets.h"
#include "core/model/vocabulary.h"
#include "core/util/torch_runtime.h"

namespace {

ns::nn::UNetConfig unetConfig() {
  ns::nn::UNetConfig c;
  c.vocabSize = int(ns::Vocabulary::words().size());
  return c;
}

at::Tensor randn(at::IntArrayRef shape, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return at::randn(shape, gen, at::TensorOptions());
}

// Multiply-adds ×2 of the UNet for one [1,C,H,W] sample with L tokens, following the structure
// in builtin_unet.cpp (convs, linears and attention matmuls; norms and activations omitted).
double unetFlops(const ns::nn::UNetConfig& c, int64_t h, int64_t w, int64_t len) {
  double f = 0;
  const double d = c.tokenDim;
  auto conv = [&f](double in, double out, double k, double px) { f += 2 * in * out * k * k * px; };
  auto res = [&](double in, double out, double px) {
    conv(in, out, 3, px);
    conv(out, out, 3, px);
    if (in != out) conv(in, out, 1, px);
  };
  auto attn = [&](double ch, double px) {
    f += 2 * ch * ch * px * 2;                  // proj in/out
    f += 2 * ch * ch * px * 4 + 2 * 2 * px * px * ch;  // self-attention
    f += 2 * ch * ch * px * 2 + 2 * d * ch * len * 2 + 2 * 2 * px * len * ch;  // cross-attention
    f += 2 * 2 * 4 * ch * ch * px;             // feed-forward
  };
  f += 2 * d * d * len * 4 + 2 * 2 * len * len * d + 2 * 2 * 4 * d * d * len;  // text block
  auto hasAttn = [&c](int l) { return std::find(c.attnLevels.begin(), c.attnLevels.end(), l) != c.attnLevels.end(); };
  double px = double(h * w);
  const int levels = int(c.mults.size());
  double ch = c.baseChannels;
  conv(c.inChannels, ch, 3, px);
  std::vector<double> skips{ch};
  for (int l = 0; l < levels; ++l) {
    const double out = c.baseChannels * c.mults[l];
    for (int i = 0; i < c.resBlocks; ++i) {
      res(ch, out, px);
      ch = out;
      if (hasAttn(l)) attn(ch, px);
      skips.push_back(ch);
    }
    if (l + 1 < levels) {
      px /= 4;
      conv(ch, ch, 3, px);
      skips.push_back(ch);
    }
  }
  res(ch, ch, px);
  attn(ch, px);
  res(ch, ch, px);
  for (int l = levels - 1; l >= 0; --l) {
    const double out = c.baseChannels * c.mults[l];
    for (int i = 0; i <= c.resBlocks; ++i) {
      res(ch + skips.back(), out, px);
      skips.pop_back();
      ch = out;
      if (hasAttn(l)) attn(ch, px);
    }
    if (l > 0) {
      px *= 4;
      conv(ch, ch, 3, px);
    }
  }
  conv(ch, c.inChannels, 3, px);
  return f;
}

double decoderFlops(const ns::nn::AutoencoderConfig& c, int64_t h, int64_t w) {
  // Mirrors TinyAutoencoderImpl's decoder at downscale 4: channels base·{1,2,4}.
  const double b = c.baseChannels;
  double px = double(h * w) / 16, f = 0;
  auto conv = [&f](double in, double out, double px) { f += 2 * in * out * 9 * px; };
  conv(c.latentChannels, 4 * b, px);
  conv(4 * b, 4 * b, px), conv(4 * b, 4 * b, px);  // mid
  conv(4 * b, 4 * b, px), conv(4 * b, 4 * b, px);  // res level 2
  px *= 4;
  conv(4 * b, 2 * b, px);                          // up to level 1
  conv(2 * b, 2 * b, px), conv(2 * b, 2 * b, px);  // res level 1
  px *= 4;
  conv(2 * b, b, px);                              // up to level 0
  conv(b, b, px), conv(b, b, px);                  // res level 0
  conv(b, 3, px);
  return f;
}

void setFlops(benchmark::State& state, double flopsPerIteration) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(flopsPerIteration * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_MatmulBaseline(benchmark::State& state) {
  c10::InferenceMode guard;
  const int64_t n = state.range(0);
  auto a = randn({n, n}, 1), b = randn({n, n}, 2);
  for (auto _ : state) benchmark::DoNotOptimize(at::mm(a, b));
  setFlops(state, 2.0 * n * n * n);
}
BENCHMARK(BM_MatmulBaseline)->Arg(256)->Arg(1024)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_UNetForward(benchmark::State& state) {
  c10::InferenceMode guard;
  torch::manual_seed(0);
  const auto cfg = unetConfig();
  ns::nn::BuiltinUNet net(cfg);
  net->eval();
  const int64_t batch = state.range(0);
  auto x = randn({batch, 4, 16, 16}, 3);
  auto t = torch::full({batch}, 500, torch::kLong);
  auto tokens = torch::zeros({batch, 16}, torch::kLong);
  tokens.slice(1, 0, 6).fill_(3);
  for (auto _ : state) benchmark::DoNotOptimize(net->forward(x, t, tokens));
  setFlops(state, double(batch) * unetFlops(cfg, 16, 16, 16));
  int64_t params = 0;
  for (const auto& p : net->parameters()) params += p.numel();
  state.counters["Mparams"] = double(params) * 1e-6;
}
BENCHMARK(BM_UNetForward)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// One DDIM step of a 64×64 image with CFG: what every interactive preview step costs.
void BM_DdimStepCfg(benchmark::State& state) {
  c10::InferenceMode guard;
  torch::manual_seed(0);
  const auto cfg = unetConfig();
  auto net = std::make_shared<ns::nn::BuiltinUNetImpl>(cfg);
  ns::DenoiserInfo info;
  ns::BuiltinDenoiser denoiser(net, info, "cpu");
  auto sched = ns::NoiseSchedule::fromConfig(info.schedule);
  auto x = randn({1, 4, 16, 16}, 4);
  ns::Conditioning cond{torch::full({1, 16}, 3, torch::kLong)};
  ns::Conditioning uncond{torch::zeros({1, 16}, torch::kLong)};
  ns::JobContext ctx;
  const std::vector<int64_t> oneStep{501};
  for (auto _ : state) {
    auto r = ns::sampleDdim(denoiser, *sched, x, oneStep, cond, uncond, 7.5, 0.0, nullptr, ctx);
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
    benchmark::DoNotOptimize(r);
  }
  setFlops(state, 2.0 * unetFlops(cfg, 16, 16, 16));
}
BENCHMARK(BM_DdimStepCfg)->UseRealTime()->Unit(benchmark::kMillisecond);

// Baseline for BM_DdimStepCfg: the same step written as plain eager LibTorch on the same weights
// (same seed, same config) — one batch-2 forward of the module, guidance and the DDIM (η = 0)
// update inline, no Denoiser/sampler layers. scripts/bench.sh prints DdimStepCfg / this.
void BM_EagerCfgStepBaseline(benchmark::State& state) {
  c10::InferenceMode guard;
  torch::manual_seed(0);
  const auto cfg = unetConfig();
  ns::nn::BuiltinUNet net(cfg);
  net->eval();
  ns::DenoiserInfo info;
  auto sched = ns::NoiseSchedule::fromConfig(info.schedule);
  auto x = randn({1, 4, 16, 16}, 4);
  const auto tokens = torch::cat({torch::zeros({1, 16}, torch::kLong), torch::full({1, 16}, 3, torch::kLong)});
  const auto t = torch::full({2}, 501, torch::kLong);
  const double a = sched->alphaBar(501), aPrev = sched->alphaBar(-1);
  for (auto _ : state) {
    auto eps2 = net->forward(torch::cat({x, x}), t, tokens);
    auto eps = eps2[0] + 7.5 * (eps2[1] - eps2[0]);
    auto x0 = (x[0] - std::sqrt(1 - a) * eps) / std::sqrt(a);
    auto next = std::sqrt(aPrev) * x0 + std::sqrt(1 - aPrev) * eps;
    benchmark::DoNotOptimize(next.data_ptr<float>());
  }
  setFlops(state, 2.0 * unetFlops(cfg, 16, 16, 16));
}
BENCHMARK(BM_EagerCfgStepBaseline)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_AutoencoderDecode(benchmark::State& state) {
  c10::InferenceMode guard;
  torch::manual_seed(0);
  ns::nn::AutoencoderConfig cfg;
  ns::nn::TinyAutoencoder ae(cfg);
  ae->eval();
  const int64_t batch = state.range(0);
  auto z = randn({batch, 4, 16, 16}, 5);
  for (auto _ : state) benchmark::DoNotOptimize(ae->decode(z));
  setFlops(state, double(batch) * decoderFlops(cfg, 64, 64));
}
BENCHMARK(BM_AutoencoderDecode)->Arg(1)->Arg(8)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  // NS_BENCH_THREADS=1 measures single-thread work (useful on a busy machine); default: all cores.
  const char* threads = std::getenv("NS_BENCH_THREADS");
  ns::initTorchRuntime(threads ? std::atoi(threads) : 0);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
