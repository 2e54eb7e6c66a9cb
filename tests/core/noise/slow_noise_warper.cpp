// Slow test of core/noise/noise_warper.h: docs/algorithms.md §2.8 test 3 at full size — 30 frames of
// zoom + swirl at 1024² × 4 channels (10^6 samples per channel); per frame |mean| < 0.01,
// |std − 1| < 0.02, |lag-1| < 0.01, cross-channel ≈ 0, KS not rejecting N(0,1) at 0.01, ω > 0.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>

#include "core/noise/flow_fields.h"
#include "core/noise/noise_stats.h"
#include "core/noise/noise_warper.h"

namespace {
std::string num(double v) { return std::to_string(v); }
ns::NoiseWarperOptions opts(uint64_t seed) {
  ns::NoiseWarperOptions o;
  o.seed = seed;
  return o;
}
}  // namespace

class SlowNoiseWarper : public QObject {
  Q_OBJECT
 private slots:
  void gaussianAfterZoomAndSwirl();
};

void SlowNoiseWarper::gaussianAfterZoomAndSwirl() {
  // 30 frames of zoom (alternating in and out, so both expansion and contraction happen) plus a
  // swirl, at 1024² × 4 channels: 10^6 samples per channel, 4·10^6 per frame.
  const int64_t H = 1024, W = 1024;
  ns::NoiseWarper w(4, H, W, opts(3));
  for (int f = 1; f <= 30; ++f) {
    const float zoom = (f % 2 == 1) ? 1.04f : 0.97f;
    const at::Tensor flow = ns::FlowFields::similarity(H, W, 0.5f, zoom) +
                            ns::FlowFields::swirl(H, W, (f % 3 == 0) ? -6.f : 6.f, 200.f);
    QVERIFY(w.step(flow).ok());
    const at::Tensor n = w.noise();
    const bool ks = (f % 10 == 0);  // KS sorts 10^6 samples: on every 10th frame (all four channels on the last)
    ns::NoiseStats s = ns::NoiseStats::compute(n, {false, 0, true});
    if (ks) ns::NoiseStats::ksTest(f == 30 ? n : n[0], &s.ksDistance, &s.ksPValue);
    const at::Tensor wt = w.weights();
    const double wMin = wt.min().item<double>(), wMean = wt.mean().item<double>();
    const std::string msg = "frame " + std::to_string(f) + ": mean " + num(s.mean) + " std " + num(s.std) +
                            " lag1 h/v " + num(s.lag1Horizontal) + "/" + num(s.lag1Vertical) + " cross " +
                            num(s.crossChannelMaxAbs) + " KS D " + num(s.ksDistance) + " p " + num(s.ksPValue) +
                            " weight min " + num(wMin) + " mean " + num(wMean) + " holes " +
                            std::to_string(w.lastStepInfo().holes) + " resets " + std::to_string(w.lastStepInfo().resets);
    if (f == 1 || f == 30) qInfo("%s", msg.c_str());
    QVERIFY2(std::fabs(s.mean) < 0.01 && std::fabs(s.std - 1) < 0.02, msg.c_str());
    QVERIFY2(std::fabs(s.lag1Horizontal) < 0.01 && std::fabs(s.lag1Vertical) < 0.01, msg.c_str());
    QVERIFY2(s.crossChannelMaxAbs < 0.01, msg.c_str());
    if (ks) QVERIFY2(s.ksPValue > 0.01, msg.c_str());
    QVERIFY2(wMin > 0 && std::fabs(wMean - 1) < 1e-3, msg.c_str());
    QVERIFY2(w.lastStepInfo().holes > 0 && w.lastStepInfo().splitGroups > 0, "the flow must exercise expansion");
  }
}

NS_REGISTER_TEST(SlowNoiseWarper, gaussianAfterZoomAndSwirl)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "slow_noise_warper.moc"
#endif
