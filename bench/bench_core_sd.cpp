// Stable Diffusion at real size on this machine (random weights of the SD 1.5 shapes):
//   - BM_SdUnetStepCfg512: one UNet step at 512² with classifier-free guidance (batch 2) in
//     NoiseStudio's native UNet (core/model/sd);
//   - BM_SdUnetEagerBaseline: the same computation in PyTorch eager on the SAME LibTorch (Debian's
//     python3-torch), with the reference ldm UNetModel (Stability-AI/stablediffusion), run in a
//     subprocess of this invocation: tools/bench/sd_unet_eager.py, given the reference checkout in
//     NS_LDM_DIR (skipped with a message when unset). Same shapes, same thread count, same seedless
//     random weights (the time does not depend on the values);
//   - BM_MatmulBaseline/2048: the BLAS peak in the same run, for the UNet's FLOP rate;
//   - BM_SdLoad / BM_FileReadBaseline: loading a full-size F16 single file (~2 GB, written once to
//     a temp folder) against reading the same file once (warm cache).
// Wall-clock times (UseRealTime). Run: build-*/bench/bench_core_sd [--benchmark_filter=...].
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <benchmark/benchmark.h>
#include <c10/core/InferenceMode.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <unistd.h>

#include "core/model/safetensors.h"
#include "core/model/sd/sd_model.h"
#include "core/model/sd/sd_unet.h"
#include "core/model/sd/sd_vae.h"
#include "core/util/torch_runtime.h"

namespace {

namespace fs = std::filesystem;

ns::sd::UnetConfig sd15Unet() { return ns::sd::sd15UnetConfig(); }

// Multiply-adds ×2 of the SD UNet for one [1,4,h,w] sample with L context tokens (convs, linears,
// attention matmuls; norms and activations left out), following sd_unet.cpp's structure.
double sdUnetFlops(const ns::sd::UnetConfig& c, double h, double w, double len) {
  double f = 0, px = h * w;
  auto conv = [&f](double in, double out, double k, double p) { f += 2 * in * out * k * k * p; };
  auto res = [&](double in, double out, double p) {
    conv(in, out, 3, p);
    conv(out, out, 3, p);
    if (in != out) conv(in, out, 1, p);
  };
  auto st = [&](double ch, double p) {
    f += 2 * ch * ch * p * 2;                                             // proj_in, proj_out
    f += 2 * ch * ch * p * 4 + 2 * 2 * p * p * ch;                        // self-attention
    f += 2 * ch * ch * p * 2 + 2 * c.contextDim * ch * len * 2 + 2 * 2 * p * len * ch;  // cross
    f += 2 * ch * 8 * ch * p + 2 * 4 * ch * ch * p;                       // GEGLU feed-forward
  };
  double ch = c.modelChannels;
  conv(4, ch, 3, px);
  std::vector<double> skips{ch};
  for (int l = 0; l < c.levels(); ++l) {
    const double out = c.modelChannels * c.channelMult[l];
    for (int i = 0; i < c.numResBlocks; ++i) {
      res(ch, out, px);
      ch = out;
      if (c.attnAtLevel[l]) st(ch, px);
      skips.push_back(ch);
    }
    if (l + 1 < c.levels()) {
      px /= 4;
      conv(ch, ch, 3, px);
      skips.push_back(ch);
    }
  }
  res(ch, ch, px);
  st(ch, px);
  res(ch, ch, px);
  for (int l = c.levels() - 1; l >= 0; --l) {
    const double out = c.modelChannels * c.channelMult[l];
    for (int i = 0; i <= c.numResBlocks; ++i) {
      res(ch + skips.back(), out, px);
      skips.pop_back();
      ch = out;
      if (c.attnAtLevel[l]) st(ch, px);
      if (l > 0 && i == c.numResBlocks) {
        px *= 4;
        conv(ch, ch, 3, px);
      }
    }
  }
  conv(ch, 4, 3, px);
  return f;
}

at::Tensor randn(at::IntArrayRef shape, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return at::randn(shape, gen, at::TensorOptions());
}

void BM_SdUnetStepCfg512(benchmark::State& state) {
  ns::initTorchRuntime();
  c10::InferenceMode guard;
  auto unet = ns::sd::SdUnet::createRandom(sd15Unet(), 1);
  const at::Tensor x = randn({2, 4, 64, 64}, 2), ctx = randn({2, 77, 768}, 3);
  const at::Tensor t = at::full({2}, 500, at::kLong);
  unet->forward(x, t, ctx);  // warm-up: first-touch of the weights, allocator
  for (auto _ : state) benchmark::DoNotOptimize(unet->forward(x, t, ctx));
  state.counters["GFLOP/s"] = benchmark::Counter(2 * sdUnetFlops(sd15Unet(), 64, 64, 77) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SdUnetStepCfg512)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(3);

// The reference ldm UNetModel in PyTorch eager (python3-torch, the same LibTorch), timed by the
// script itself around the same forward; reported as manual time.
void BM_SdUnetEagerBaseline(benchmark::State& state) {
  const char* ldm = std::getenv("NS_LDM_DIR");
  if (!ldm || !*ldm) {
    state.SkipWithError("set NS_LDM_DIR to a Stability-AI/stablediffusion checkout (the reference ldm code)");
    return;
  }
  const std::string script = std::string(NS_SOURCE_DIR) + "/tools/bench/sd_unet_eager.py";
  const int iters = int(state.max_iterations);
  const std::string cmd = "/usr/bin/python3 '" + script + "' --ldm '" + ldm + "' --iterations " + std::to_string(iters) +
                          " --threads " + std::to_string(ns::initTorchRuntime().threads);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd.c_str(), "r"), ::pclose);
  std::vector<double> secs;
  std::array<char, 256> line{};
  while (pipe && std::fgets(line.data(), int(line.size()), pipe.get()))
    if (std::string(line.data()).rfind("step_seconds ", 0) == 0) secs.push_back(std::atof(line.data() + 13));
  if (int(secs.size()) < iters) {
    state.SkipWithError(("the eager baseline failed: " + cmd).c_str());
    return;
  }
  size_t i = 0;
  for (auto _ : state) state.SetIterationTime(secs[i++]);
  state.counters["GFLOP/s"] = benchmark::Counter(2 * sdUnetFlops(sd15Unet(), 64, 64, 77) * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SdUnetEagerBaseline)->Unit(benchmark::kSecond)->UseManualTime()->Iterations(3);

void BM_MatmulBaseline(benchmark::State& state) {
  ns::initTorchRuntime();
  c10::InferenceMode guard;
  const int64_t n = state.range(0);
  const at::Tensor a = randn({n, n}, 4), b = randn({n, n}, 5);
  at::matmul(a, b);
  for (auto _ : state) benchmark::DoNotOptimize(at::matmul(a, b));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * n * n * n * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_MatmulBaseline)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();

// A full-size SD 1.5-shaped F16 single file, written once per process.
const std::string& fullSizeFile() {
  static const std::string path = [] {
    const fs::path dir = fs::temp_directory_path() / ("ns_bench_sd_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string p = (dir / "sd15_random.safetensors").string();
    std::map<std::string, at::Tensor> file;
    for (auto& [k, t] : ns::sd::SdUnet::createRandom(sd15Unet(), 6)->state("model.diffusion_model."))
      file[k] = t.to(at::kHalf);
    for (auto& [k, t] : ns::sd::SdVae::createRandom(ns::sd::sdVaeConfig(), 7)->state("first_stage_model.")) file[k] = t.to(at::kHalf);
    const int64_t d = 768;
    auto add = [&](const std::string& k, std::vector<int64_t> s) { file["cond_stage_model.transformer.text_model." + k] = randn(s, 8).to(at::kHalf); };
    add("embeddings.token_embedding.weight", {49408, d});
    add("embeddings.position_embedding.weight", {77, d});
    for (int l = 0; l < 12; ++l) {
      const std::string p = "encoder.layers." + std::to_string(l) + ".";
      for (const char* q : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
        add(p + "self_attn." + q + ".weight", {d, d});
        add(p + "self_attn." + q + ".bias", {d});
      }
      for (const char* n : {"layer_norm1", "layer_norm2"}) {
        add(p + n + ".weight", {d});
        add(p + n + ".bias", {d});
      }
      add(p + "mlp.fc1.weight", {4 * d, d});
      add(p + "mlp.fc1.bias", {4 * d});
      add(p + "mlp.fc2.weight", {d, 4 * d});
      add(p + "mlp.fc2.bias", {d});
    }
    add("final_layer_norm.weight", {d});
    add("final_layer_norm.bias", {d});
    if (!ns::writeSafetensors(p, file).ok()) std::abort();
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(fs::path(fullSizeFile()).parent_path(), ec);
    });
    return p;
  }();
  return path;
}

void BM_SdLoad(benchmark::State& state) {
  ns::initTorchRuntime();
  const std::string& path = fullSizeFile();
  ns::sd::SdLoadOptions o;
  o.tokenizerDir = std::string(NS_SOURCE_DIR) + "/tests/data/clip_tiny";
  for (auto _ : state) {
    auto m = ns::sd::loadSdModel(path, o);
    if (!m.ok()) {
      state.SkipWithError(m.error().message.c_str());
      return;
    }
    state.counters["resident_GB"] = double(m->report.residentBytes) / 1e9;
  }
}
BENCHMARK(BM_SdLoad)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(2);

void BM_FileReadBaseline(benchmark::State& state) {
  const std::string& path = fullSizeFile();
  std::vector<char> buf(64 << 20);
  for (auto _ : state) {
    std::ifstream in(path, std::ios::binary);
    while (in.read(buf.data(), std::streamsize(buf.size())) || in.gcount() > 0) {}
  }
}
BENCHMARK(BM_FileReadBaseline)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
