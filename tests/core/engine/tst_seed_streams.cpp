// Named seed streams (core/util/seed_streams.h): draws made for different purposes are independent.
// The regression this guards: the noise warper's fresh noise and its initial field were both seeded
// with the project's seed, so a region uncovered by motion got frame 0's noise back value for value.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include <set>

#include "core/engine/engine_common.h"
#include "core/engine/noise_verbs.h"
#include "core/jobs/job_context.h"
#include "core/noise/noise_warper.h"
#include "core/util/seed_streams.h"

namespace {

double correlation(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor x = a.flatten().to(at::kDouble), y = b.flatten().to(at::kDouble);
  const at::Tensor xc = x - x.mean(), yc = y - y.mean();
  return (xc * yc).sum().item<double>() / std::sqrt((xc * xc).sum().item<double>() * (yc * yc).sum().item<double>());
}

// How much a frame's uncovered band replays the initial field. The warper fills uncovered pixels
// (in row-major order, C values each) with its next fresh draws; a generator seeded like the
// initial field would hand out the initial field's own values in its flat order, starting at some
// item offset (the out-of-frame pixels draw first). Returns the largest |corr| between the band
// and the initial field's values at every item offset: about 1 for a replay, about 0.15 at most
// for independent draws (257 offsets, 512 samples).
double replayCorrelation(const at::Tensor& band, const at::Tensor& init) {
  const int64_t C = band.size(0);
  const at::Tensor a = band.permute({1, 2, 0}).reshape({-1});  // [pixels, C] row-major
  const at::Tensor flat = init.reshape({-1});
  double worst = 0;
  for (int64_t k = 0; k * C + a.numel() <= flat.numel() && k <= 256; ++k)
    worst = std::max(worst, std::abs(correlation(a, flat.slice(0, k * C, k * C + a.numel()))));
  return worst;
}

}  // namespace

class TstSeedStreams : public QObject {
  Q_OBJECT
 private slots:
  void streamsAreDistinctAndStartNoiseIsTheSeed();
  void warpedNoiseDrawsFreshNoiseFromItsOwnStream();
};

void TstSeedStreams::streamsAreDistinctAndStartNoiseIsTheSeed() {
  // x_T of frame i stays seed + i: generate --seed 7 and frame 0 of a render with seed 7 agree.
  QCOMPARE(ns::mixSeed(7, ns::SeedStream::StartNoise, 0), uint64_t(7));
  QCOMPARE(ns::mixSeed(7, ns::SeedStream::StartNoise, 5), uint64_t(12));
  // Every other (seed, stream, index) gets its own generator seed, also apart from the x_T seeds.
  std::set<uint64_t> seen;
  for (uint64_t seed = 0; seed < 64; ++seed)
    for (uint64_t i = 0; i < 16; ++i) seen.insert(ns::mixSeed(seed, ns::SeedStream::StartNoise, i));
  QCOMPARE(seen.size(), size_t(64 + 15));  // seeds 0..78
  size_t draws = seen.size();
  for (auto stream : {ns::SeedStream::WarpFresh, ns::SeedStream::Degradation, ns::SeedStream::FreeNoiseShuffle,
                      ns::SeedStream::SamplerAncestral, ns::SeedStream::EditFresh})
    for (uint64_t seed = 0; seed < 64; ++seed)
      for (uint64_t i = 0; i < 16; ++i, ++draws) seen.insert(ns::mixSeed(seed, stream, i));
  QCOMPARE(seen.size(), draws);
}

void TstSeedStreams::warpedNoiseDrawsFreshNoiseFromItsOwnStream() {
  // Everything moves 4 px right between two frames: a 4 px band at one side is uncovered and
  // filled with fresh noise. At the flow's own resolution (no shrink) frame 0 is the initial field.
  const int C = 4, H = 32, W = 32, shift = 4;
  at::Tensor flows = at::zeros({1, 2, H, W});
  flows.select(1, 0).fill_(double(shift));
  ns::WarpNoiseRequest req;
  req.channels = C;
  req.height = H;
  req.width = W;
  req.seed = 11;
  ns::JobContext ctx;
  auto res = ns::warpNoiseFromFlow(flows, req, ctx);
  QVERIFY2(res.ok(), res.ok() ? "" : res.error().message);
  const at::Tensor frames = res->noise;  // [2,C,H,W]
  QCOMPARE(frames.sizes().vec(), (std::vector<int64_t>{2, C, H, W}));
  // Frame 0 is the StartNoise draw of the seed (what generate starts from).
  const at::Tensor start = ns::engine::seededNoise({C, H, W}, ns::mixSeed(11, ns::SeedStream::StartNoise), "cpu");
  QVERIFY(at::allclose(frames[0], start, 1e-6, 1e-6));
  // The uncovered band (left or right, whichever the flow convention uncovers) must not replay the
  // initial field, at the same pixels or in the warper's draw order.
  const at::Tensor left = frames.slice(3, 0, shift), right = frames.slice(3, W - shift, W);
  const double cLeft = correlation(left[1], left[0]), cRight = correlation(right[1], right[0]);
  const double replay = std::max(replayCorrelation(left[1], start), replayCorrelation(right[1], start));
  qInfo("side bands vs frame 0: corr at the same pixels %.3f / %.3f, replay %.3f", cLeft, cRight, replay);
  QVERIFY2(std::abs(cLeft) < 0.2 && std::abs(cRight) < 0.2, "the uncovered band repeats frame 0 at the same pixels");
  QVERIFY2(replay < 0.3, "fresh noise replays the initial field: the warper shares its stream");
  // The detector sees the old wiring: the warper seeded like its initial field replays it.
  ns::WarpSequenceOptions shared;
  shared.warper.seed = 11;
  auto old = ns::NoiseWarper::warpSequence(start, flows, shared);
  QVERIFY2(old.ok(), old.ok() ? "" : old.error().message);
  const double oldReplay = std::max(replayCorrelation((*old)[1].slice(2, 0, shift), start),
                                    replayCorrelation((*old)[1].slice(2, W - shift, W), start));
  qInfo("the same warp with the warper seeded like the initial field: replay %.3f", oldReplay);
  QVERIFY2(oldReplay > 0.9, "the replay detector does not see a shared stream");
  // The interior moved: frame 1 there is frame 0 shifted (the warp itself still works).
  const double moved = std::max(correlation(frames[1].slice(2, shift + 4, W - 4), frames[0].slice(2, 4, W - shift - 4)),
                                correlation(frames[1].slice(2, 4, W - shift - 4), frames[0].slice(2, shift + 4, W - 4)));
  qInfo("corr of the moved interior: %.3f", moved);
  QVERIFY2(moved > 0.9, "the interior did not follow the flow");
}

NS_REGISTER_TEST(TstSeedStreams, streamsAreDistinctAndStartNoiseIsTheSeed, warpedNoiseDrawsFreshNoiseFromItsOwnStream)
#ifdef NS_HAVE_QTEST
#include "tst_seed_streams.moc"
#endif
