// Full-size SD 1.x text tower (openai CLIP ViT-L/14: vocab 49408, width 768, 12 blocks, 12 heads,
// 77 positions) built in memory from random F16 weights: checks the parameter count SD 1.5 has
// (123,060,480), runs [2,77] ids against the fp64 reference and times the forward.
#include "tests/support/ns_test.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "core/model/sd/clip_text_config.h"
#include "core/model/sd/clip_text_model.h"
#include "tests/core/model/sd_text_fixtures.h"

class SlowSdText : public QObject {
  Q_OBJECT
 private slots:
  void fullSizeVitL();
};

void SlowSdText::fullSizeVitL() {
  using Clock = std::chrono::steady_clock;
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
  const std::string report =
      "ViT-L text tower, 123,060,480 parameters: random F16 weights " +
      std::to_string(std::chrono::duration<double>(t1 - t0).count()) + " s, fromWeights (F16 -> fp32) " +
      std::to_string(std::chrono::duration<double>(t2 - t1).count()) + " s; forward [2,77]: first " +
      std::to_string(ms.front()) + " ms, median of 5 " + std::to_string(sorted[2]) + " ms, min " +
      std::to_string(sorted.front()) + " ms; rel diff to fp64 " + std::to_string(rel);
  qInfo("%s", report.c_str());
}

NS_REGISTER_TEST(SlowSdText, fullSizeVitL)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "slow_sd_text.moc"
#endif
