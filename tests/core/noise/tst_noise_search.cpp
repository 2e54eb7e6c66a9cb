// Tests core/noise/noise_search.h against docs/algorithms.md §6 tests 1–3: neighbours keep the norm
// at cosine λ, zero-order pivot scores never decrease, random search returns the argmax; plus
// determinism, cancel and renderer errors.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/noise/noise_search.h"

namespace {
std::string num(double v) { return std::to_string(v); }

// −‖image − target‖ per batch item: the toy verifier of §6 test 2.
class DistanceVerifier : public ns::Verifier {
 public:
  explicit DistanceVerifier(at::Tensor target) : m_target(std::move(target)) {}
  std::string name() const override { return "toy-distance"; }
  at::Tensor score(const at::Tensor& images, const ns::VerifierQuery&) override {
    ++calls;
    return -(images - m_target).flatten(1).norm(2, {1});
  }
  int calls = 0;

 private:
  at::Tensor m_target;
};

// "Decoder": the noise itself is the image (one batch item of [3,8,8]).
at::Tensor renderNoise(const at::Tensor& noise) { return noise.view({1, 3, 8, 8}); }
}  // namespace

class TstNoiseSearch : public QObject {
  Q_OBJECT
 private slots:
  void neighbourKeepsNormAndCosine();
  void zeroOrderPivotsNeverGetWorse();
  void randomSearchReturnsArgmax();
  void cancelAndRendererErrors();
  void candidateRangesReproduceTheFullSearch();
};

void TstNoiseSearch::neighbourKeepsNormAndCosine() {
  at::Generator gen = at::detail::createCPUGenerator(31);
  const at::Tensor pivot = at::randn({4, 32, 32}, gen, at::TensorOptions());
  const double norm = pivot.to(at::kDouble).norm().item<double>();
  for (double lambda : {0.95, 0.5, 0.0, -0.3}) {
    for (int k = 0; k < 4; ++k) {
      const at::Tensor n = ns::NoiseSearch::neighbour(pivot, lambda, gen);
      const at::Tensor a = pivot.to(at::kDouble), b = n.to(at::kDouble);
      const double nn = b.norm().item<double>();
      const double cos = (a * b).sum().item<double>() / (norm * nn);
      QVERIFY2(std::fabs(nn / norm - 1) < 1e-6 && std::fabs(cos - lambda) < 1e-6,
               ("lambda " + num(lambda) + " norm ratio " + num(nn / norm) + " cos " + num(cos)).c_str());
    }
  }
  // Two neighbours differ (random directions).
  QVERIFY(!at::equal(ns::NoiseSearch::neighbour(pivot, 0.95, gen), ns::NoiseSearch::neighbour(pivot, 0.95, gen)));
}

void TstNoiseSearch::zeroOrderPivotsNeverGetWorse() {
  at::Generator gen = at::detail::createCPUGenerator(32);
  DistanceVerifier verifier(at::randn({1, 3, 8, 8}, gen, at::TensorOptions()));
  ns::NoiseSearch search(renderNoise, verifier);
  ns::NoiseSearchOptions o;
  o.mode = ns::SearchMode::ZeroOrder;
  o.iterations = 12;
  o.seed = 5;
  ns::JobContext ctx;
  auto r = search.run({3, 8, 8}, {}, o, ctx);
  QVERIFY(r.ok());
  const auto& res = r.value();
  QCOMPARE(int(res.scores.size()), 1 + 12 * 4);
  QCOMPARE(verifier.calls, 1 + 12 * 4);
  QCOMPARE(int(res.pivotScores.size()), 13);
  for (size_t i = 1; i < res.pivotScores.size(); ++i) {
    QVERIFY2(res.pivotScores[i] >= res.pivotScores[i - 1],
             ("pivot score fell at round " + std::to_string(i) + ": " + num(res.pivotScores[i - 1]) + " -> " +
              num(res.pivotScores[i])).c_str());
  }
  QVERIFY2(res.pivotScores.back() > res.pivotScores.front(),
           ("no progress: " + num(res.pivotScores.front()) + " -> " + num(res.pivotScores.back())).c_str());
  QCOMPARE(res.bestScore, res.pivotScores.back());
  // FreshPivot (tt-scale-flux): the best score still equals the maximum of all scores.
  o.onNoImprovement = ns::NoImprovement::FreshPivot;
  auto f = search.run({3, 8, 8}, {}, o, ctx);
  QVERIFY(f.ok());
  double mx = -1e300;
  for (double s : f.value().scores) mx = std::max(mx, s);
  QCOMPARE(f.value().bestScore, mx);
}

void TstNoiseSearch::randomSearchReturnsArgmax() {
  at::Generator gen = at::detail::createCPUGenerator(33);
  DistanceVerifier verifier(at::randn({1, 3, 8, 8}, gen, at::TensorOptions()));
  ns::NoiseSearch search(renderNoise, verifier);
  ns::NoiseSearchOptions o;
  o.candidates = 16;
  o.seed = 9;
  ns::JobContext ctx;
  auto r = search.run({3, 8, 8}, {}, o, ctx);
  QVERIFY(r.ok());
  const auto& res = r.value();
  QCOMPARE(int(res.scores.size()), 16);
  int arg = 0;
  for (int i = 1; i < 16; ++i) {
    if (res.scores[size_t(i)] > res.scores[size_t(arg)]) arg = i;
  }
  QCOMPARE(res.bestIndex, arg);
  QCOMPARE(res.bestScore, res.scores[size_t(arg)]);
  // The returned noise really scores that.
  const double again = verifier.score(renderNoise(res.bestNoise), {}).item<double>();
  QVERIFY2(std::fabs(again - res.bestScore) < 1e-9, ("rescored " + num(again) + " vs " + num(res.bestScore)).c_str());
  // Seeded: same seed, same candidates.
  auto r2 = search.run({3, 8, 8}, {}, o, ctx);
  QVERIFY(r2.ok() && r2.value().scores == res.scores);
}

void TstNoiseSearch::cancelAndRendererErrors() {
  at::Generator gen = at::detail::createCPUGenerator(34);
  DistanceVerifier verifier(at::randn({1, 3, 8, 8}, gen, at::TensorOptions()));
  ns::NoiseSearch search(renderNoise, verifier);
  ns::NoiseSearchOptions o;
  o.candidates = 10;
  int reports = 0;
  ns::JobContext ctx;
  ctx.setProgressCallback([&](const ns::JobProgress& p) {
    QCOMPARE(p.total, 10);
    if (++reports == 3) ctx.cancel();
  });
  auto r = search.run({3, 8, 8}, {}, o, ctx);
  QVERIFY(!r.ok() && r.error().kind == ns::ErrorKind::Cancelled);
  QCOMPARE(reports, 3);
  ns::NoiseSearch failing([](const at::Tensor&) -> at::Tensor { throw std::runtime_error("model missing"); },
                          verifier);
  ns::JobContext ctx2;
  auto e = failing.run({3, 8, 8}, {}, o, ctx2);
  QVERIFY(!e.ok() && e.error().kind == ns::ErrorKind::Model);
  QVERIFY2(e.error().message.find("model missing") != std::string::npos, e.error().message.c_str());
  o.candidates = 0;
  QVERIFY(search.run({3, 8, 8}, {}, o, ctx2).error().kind == ns::ErrorKind::BadInput);
}

// A farm splits one best-of-N search over tasks (farm batch "search" jobs): each range must score exactly
// the full search's candidates, and the first strict maximum over the ranges in order is the full search's best.
void TstNoiseSearch::candidateRangesReproduceTheFullSearch() {
  at::Generator gen = at::detail::createCPUGenerator(35);
  DistanceVerifier verifier(at::randn({1, 3, 8, 8}, gen, at::TensorOptions()));
  ns::NoiseSearch search(renderNoise, verifier);
  ns::NoiseSearchOptions o;
  o.candidates = 8;
  o.seed = 21;
  ns::JobContext ctx;
  auto full = search.run({3, 8, 8}, {}, o, ctx);
  QVERIFY(full.ok());
  QCOMPARE(full.value().firstIndex, 0);
  int bestIndex = -1;
  double bestScore = 0;
  at::Tensor bestNoise;
  for (int a = 0; a < 8; a += 2) {
    o.rangeBegin = a;
    o.rangeEnd = a + 2;
    auto part = search.run({3, 8, 8}, {}, o, ctx);
    QVERIFY2(part.ok(), part.ok() ? "" : part.error().message.c_str());
    QCOMPARE(part.value().firstIndex, a);
    QCOMPARE(int(part.value().scores.size()), 2);
    for (int k = 0; k < 2; ++k) QCOMPARE(part.value().scores[size_t(k)], full.value().scores[size_t(a + k)]);
    if (bestIndex < 0 || part.value().bestScore > bestScore) {
      bestIndex = a + part.value().bestIndex;
      bestScore = part.value().bestScore;
      bestNoise = part.value().bestNoise;
    }
  }
  QCOMPARE(bestIndex, full.value().bestIndex);
  QCOMPARE(bestScore, full.value().bestScore);
  QVERIFY(at::equal(bestNoise, full.value().bestNoise));
  // Ranges outside 0:N, empty ones, and ranges of a zero-order search are refused.
  for (auto [b, e] : {std::pair{6, 9}, std::pair{3, 3}, std::pair{-1, 2}}) {
    o.rangeBegin = b;
    o.rangeEnd = e;
    auto bad = search.run({3, 8, 8}, {}, o, ctx);
    QVERIFY(!bad.ok() && bad.error().kind == ns::ErrorKind::BadInput);
    QVERIFY2(bad.error().message.find("range") != std::string::npos, bad.error().message.c_str());
  }
  o.rangeBegin = 0;
  o.rangeEnd = 2;
  o.mode = ns::SearchMode::ZeroOrder;
  QVERIFY(search.run({3, 8, 8}, {}, o, ctx).error().kind == ns::ErrorKind::BadInput);
}

NS_REGISTER_TEST(TstNoiseSearch, neighbourKeepsNormAndCosine, zeroOrderPivotsNeverGetWorse, randomSearchReturnsArgmax,
                 cancelAndRendererErrors, candidateRangesReproduceTheFullSearch)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_noise_search.moc"
#endif
