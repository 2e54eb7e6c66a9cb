// Full-size SD 1.x text tower (openai CLIP ViT-L/14: vocab 49408, width 768, 12 blocks, 12 heads,
// 77 positions) built in memory from random F16 weights: checks the parameter count SD 1.5 has
// (123,060,480), runs [2,77] ids against the fp64 reference and times the forward with the threads
// the app uses (initTorchRuntime), next to the in-run fp32 matmul rate of the same machine.
#include "tests/support/ns_test.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "core/model/sd/clip_text_config.h"
#include "core/model/sd/clip_text_model.h"
#include "core/util/torch_runtime.h"
#include "tests/core/model/sd_text_fixtures.h"

class SlowSdText : public QObject {
  Q_OBJECT
 private slots:
  void fullSizeVitL();
};

void SlowSdText::fullSizeVitL() {
  using Clock = std::chrono::steady_clock;
  const ns::RuntimeInfo rt = ns::initTorchRuntime();  // as the executables do: all hardware threads
  const sdtext::TowerShape vitL{49408, 768, 12, 77, 3072};
  const auto t0 = Clock::now();
  const ns::sd::WeightMap w = sdtext::randomTower(vitL, 42, at::kHalf);  // as SD 1.5 files store it
  int64_t stored = 0;
  for (const auto& kv : w) stored += kv.second.numel();
  QCOMPARE(stored, int64_t(123060480));

  auto cfg = ns::sd::inferClipTextConfig(w, "vit-l.safetensors");
  QVERIFY(cfg.ok());
  QCOMPARE(cfg->heads, int64_t(12));
  QCOMPARE(cfg->mlpWidth, int64_t(3072));
  cfg->activation = ns::sd::ClipTextConfig::Activation::QuickGelu;
  const auto t1 = Clock::now();
  auto m = ns::sd::ClipTextModel::fromWeights(w, *cfg, "vit-l.safetensors");
  const auto t2 = Clock::now();
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
  QCOMPARE((*m)->parameterCount(), int64_t(123060480));

  at::manual_seed(43);
  const at::Tensor ids = at::randint(0, vitL.vocab, {2, 77}, at::kLong);
  std::vector<double> ms;
  at::Tensor out;
  for (int i = 0; i < 5; ++i) {
    const auto a = Clock::now();
    out = (*m)->forward(ids);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
  }
  QVERIFY((out.sizes() == at::IntArrayRef{2, 77, 768}));
  QVERIFY(out.isfinite().all().item<bool>());
  const double rel = sdtext::relDiff(out, sdtext::referenceForward(w, *cfg, ids));
  QVERIFY2(rel < 1e-5, "rel diff to the fp64 reference " + std::to_string(rel));
  // Batch rows are independent.
  QVERIFY(sdtext::relDiff((*m)->forward(ids.slice(0, 1, 2)), out.slice(0, 1, 2)) < 1e-5);

  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  // Matmul FLOPs of one [2,77] forward: per token and block 24·D² (q,k,v,out: 4·2·D², fc1+fc2: 2·2·4·D²)
  // plus the attention (scores and weighted sum, 2·2·L·D); embeddings and norms are negligible.
  const double tokens = 2 * 77, d = 768;
  const double flops = 12 * tokens * (24 * d * d + 4 * 77 * d);
  // In-run matmul rate: a square fp32 product, best of 3.
  const at::Tensor a = at::randn({1024, 1024}), b = at::randn({1024, 1024});
  double peakMs = 1e30;
  for (int i = 0; i < 3; ++i) {
    const auto s = Clock::now();
    (void)at::mm(a, b);
    peakMs = std::min(peakMs, std::chrono::duration<double, std::milli>(Clock::now() - s).count());
  }
  const double gflops = flops / (sorted[2] * 1e6), peak = 2.0 * 1024 * 1024 * 1024 / (peakMs * 1e6);
  const std::string report =
      "ViT-L text tower, 123,060,480 parameters: random F16 weights " +
      std::to_string(std::chrono::duration<double>(t1 - t0).count()) + " s, fromWeights (F16 -> fp32) " +
      std::to_string(std::chrono::duration<double>(t2 - t1).count()) + " s; forward [2,77]: first " +
      std::to_string(ms.front()) + " ms, median of 5 " + std::to_string(sorted[2]) + " ms, min " +
      std::to_string(sorted.front()) + " ms (" + std::to_string(rt.threads) + " threads, fast BLAS " +
      (rt.fastBlas ? "yes" : "no") + "): " + std::to_string(gflops) + " GFLOP/s = " +
      std::to_string(gflops / peak) + " of the in-run 1024² matmul rate " + std::to_string(peak) +
      " GFLOP/s; rel diff to fp64 " + std::to_string(rel);
  qInfo("%s", report.c_str());
}

NS_REGISTER_TEST(SlowSdText, fullSizeVitL)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "slow_sd_text.moc"
#endif
