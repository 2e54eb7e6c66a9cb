// Tests core/noise/free_noise.h against docs/algorithms.md §3.5 (1, 3–5, and the parts of 2 that apply
// to a fusion helper): rescheduling, views with the tail window, pyramid weights, fusion.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/noise/free_noise.h"

class TstFreeNoise : public QObject {
  Q_OBJECT
 private slots:
  void rescheduledFramesAreShuffledCopies();
  void truncatesTheLastChunk();
  void viewsAppendTheTail();
  void pyramidWeights();
  void fusionOfOneWindowIsThatWindow();
  void fusionKeepsConstantsAndSingleCoverage();
};

namespace {
// Index of the frame in [0, L) that `frame` equals bitwise, or -1.
int64_t sourceOf(const at::Tensor& x, int64_t frame, int64_t L) {
  for (int64_t j = 0; j < L; ++j) {
    if (at::equal(x[frame], x[j])) return j;
  }
  return -1;
}
}  // namespace

void TstFreeNoise::rescheduledFramesAreShuffledCopies() {
  const int64_t F = 40, L = 16, S = 4;
  at::Generator gen = at::detail::createCPUGenerator(21);
  const at::Tensor x = at::randn({F, 4, 32, 32}, gen, at::TensorOptions());
  const at::Tensor y = ns::FreeNoise::reschedule(x, L, S, 7);
  QVERIFY(at::equal(y.narrow(0, 0, L), x.narrow(0, 0, L)));
  for (int64_t f = L; f < F; ++f) {
    QVERIFY2(sourceOf(y, f, L) >= 0, ("frame " + std::to_string(f) + " is not a copy of the first window").c_str());
  }
  for (int64_t s = 0; s + L <= F; s += S) {
    std::vector<int64_t> src;
    for (int64_t f = s; f < s + L; ++f) src.push_back(sourceOf(y, f, L));
    std::sort(src.begin(), src.end());
    for (int64_t j = 0; j < L; ++j) {
      QVERIFY2(src[size_t(j)] == j, ("window at " + std::to_string(s) + " is not a permutation").c_str());
    }
  }
  // Each frame is still N(0, I) (4096 samples: |mean| < 0.07, |std − 1| < 0.05, ~4σ).
  for (int64_t f = 0; f < F; ++f) {
    const double m = y[f].mean().item<double>(), sd = y[f].std(false).item<double>();
    QVERIFY2(std::fabs(m) < 0.07 && std::fabs(sd - 1) < 0.05,
             ("frame " + std::to_string(f) + " mean " + std::to_string(m) + " std " + std::to_string(sd)).c_str());
  }
  // Seeded: the same seed repeats, another seed shuffles differently; frames ≥ L really move.
  QVERIFY(ns::FreeNoise::rescheduleIndices(F, L, S, 7) == ns::FreeNoise::rescheduleIndices(F, L, S, 7));
  QVERIFY(ns::FreeNoise::rescheduleIndices(F, L, S, 7) != ns::FreeNoise::rescheduleIndices(F, L, S, 8));
  // F ≤ L: untouched.
  QVERIFY(at::equal(ns::FreeNoise::reschedule(x.narrow(0, 0, 12), L, S, 7), x.narrow(0, 0, 12)));
}

void TstFreeNoise::truncatesTheLastChunk() {
  // (F − L) % S ≠ 0: the last chunk [40, 42) takes the first 2 of a shuffle of [24, 28).
  const int64_t F = 42, L = 16, S = 4;
  const std::vector<int64_t> idx = ns::FreeNoise::rescheduleIndices(F, L, S, 3);
  QCOMPARE(int64_t(idx.size()), F);
  for (int64_t f = 0; f < F; ++f) QVERIFY(idx[size_t(f)] >= 0 && idx[size_t(f)] < L);
  QVERIFY(idx[40] != idx[41]);
  // Frames 40, 41 are copies of two different frames among 24..27.
  for (int64_t f : {40, 41}) {
    bool found = false;
    for (int64_t s = 24; s < 28; ++s) found = found || idx[size_t(s)] == idx[size_t(f)];
    QVERIFY2(found, ("frame " + std::to_string(f) + " must copy a frame of [24, 28)").c_str());
  }
}

void TstFreeNoise::viewsAppendTheTail() {
  const auto v = ns::FreeNoise::views(42, 16, 4);
  QCOMPARE(int(v.size()), 8);  // 0,4,…,24 then the tail (26, 42)
  QVERIFY(v.front() == (ns::FrameWindow{0, 16}));
  QVERIFY(v[6] == (ns::FrameWindow{24, 40}));
  QVERIFY(v.back() == (ns::FrameWindow{26, 42}));
  const auto exact = ns::FreeNoise::views(40, 16, 4);
  QCOMPARE(int(exact.size()), 7);
  QVERIFY(exact.back() == (ns::FrameWindow{24, 40}));
  const auto shortClip = ns::FreeNoise::views(10, 16, 4);
  QCOMPARE(int(shortClip.size()), 1);
  QVERIFY(shortClip[0] == (ns::FrameWindow{0, 10}));
}

void TstFreeNoise::pyramidWeights() {
  const std::vector<float> w16 = ns::FreeNoise::pyramidWeights(16);
  const std::vector<float> want16{1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1};
  QVERIFY(w16 == want16);
  QVERIFY(ns::FreeNoise::pyramidWeights(5) == (std::vector<float>{1, 2, 3, 2, 1}));
  QVERIFY(ns::FreeNoise::pyramidWeights(1) == (std::vector<float>{1}));
}

void TstFreeNoise::fusionOfOneWindowIsThatWindow() {
  at::Generator gen = at::detail::createCPUGenerator(22);
  const at::Tensor o = at::randn({16, 3, 8, 8}, gen, at::TensorOptions());
  const auto v = ns::FreeNoise::views(16, 16, 4);
  QVERIFY(at::equal(ns::FreeNoise::fuseWindows({o}, v, 16), o));
  // Frame dimension elsewhere: [C, F, H, W].
  const at::Tensor t = o.transpose(0, 1).contiguous();
  QVERIFY(at::equal(ns::FreeNoise::fuseWindows({t}, v, 16, 1), t));
}

void TstFreeNoise::fusionKeepsConstantsAndSingleCoverage() {
  const int64_t F = 24, L = 16, S = 4;
  const auto v = ns::FreeNoise::views(F, L, S);  // (0,16) (4,20) (8,24)
  at::Generator gen = at::detail::createCPUGenerator(23);
  std::vector<at::Tensor> constant, random;
  for (size_t k = 0; k < v.size(); ++k) {
    constant.push_back(at::full({L, 2, 4, 4}, 0.37f));
    random.push_back(at::randn({L, 2, 4, 4}, gen, at::TensorOptions()));
  }
  const at::Tensor c = ns::FreeNoise::fuseWindows(constant, v, F);
  QVERIFY2(at::allclose(c, at::full({F, 2, 4, 4}, 0.37f), 1e-6, 1e-6), "constant windows must fuse to the constant");
  const at::Tensor r = ns::FreeNoise::fuseWindows(random, v, F);
  // Frames 0..3 are covered only by the first window, 20..23 only by the last: exact copies.
  QVERIFY(at::equal(r.narrow(0, 0, 4), random[0].narrow(0, 0, 4)));
  QVERIFY(at::equal(r.narrow(0, 20, 4), random[2].narrow(0, 12, 4)));
  // Frame 10 is covered by all three windows at offsets 10, 6, 2: weights 6, 7, 3.
  const at::Tensor want = (random[0][10] * 6 + random[1][6] * 7 + random[2][2] * 3) / 16;
  QVERIFY(at::allclose(r[10], want, 1e-5, 1e-6));
}

NS_REGISTER_TEST(TstFreeNoise, rescheduledFramesAreShuffledCopies, truncatesTheLastChunk, viewsAppendTheTail,
                 pyramidWeights, fusionOfOneWindowIsThatWindow, fusionKeepsConstantsAndSingleCoverage)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_free_noise.moc"
#endif
