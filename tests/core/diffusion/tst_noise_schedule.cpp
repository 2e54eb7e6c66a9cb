// Tests core/diffusion/noise_schedule.h: ᾱ tables (docs/algorithms.md §7.1, §7.6) and timestep lists
// (§7.2) against the reference numbers.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/diffusion/noise_schedule.h"

namespace {

ns::NoiseSchedule makeSchedule(const ns::ScheduleConfig& c) {
  auto r = ns::NoiseSchedule::fromConfig(c);
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return std::move(r).value();
}

std::string listToString(const std::vector<int64_t>& v) {
  std::string s;
  for (int64_t t : v) s += std::to_string(t) + " ";
  return s;
}

}  // namespace

class TstNoiseSchedule : public QObject {
  Q_OBJECT
 private slots:
  void scaledLinearMatchesStableDiffusion();
  void linearAndCosineBetas();
  void finalAlphaBar();
  void zeroTerminalSnrRescale();
  void snrShift();
  void leadingTimesteps();
  void trailingTimesteps();
  void linspaceTimesteps();
  void previousTimestep();
  void invalidConfigsAreRefused();
};

void TstNoiseSchedule::scaledLinearMatchesStableDiffusion() {
  const ns::NoiseSchedule s = makeSchedule(ns::ScheduleConfig{});
  QVERIFY2(std::fabs(s.alphaBar(0) - 0.99915) < 1e-12, std::to_string(s.alphaBar(0)).c_str());
  // Reference value from the float64 formula: 0.004660098513077234.
  QVERIFY2(std::fabs(s.alphaBar(999) - 0.004660098513077234) < 1e-12, std::to_string(s.alphaBar(999)).c_str());
  QVERIFY2(std::fabs(s.alphaBar(499) - 0.27766965045646763) < 1e-12, std::to_string(s.alphaBar(499)).c_str());
  const at::Tensor ac = s.alphasCumprod();
  QVERIFY(ac.scalar_type() == at::kDouble);
  QCOMPARE(int(ac.numel()), 1000);
  QCOMPARE(ac[999].item<double>(), s.alphaBar(999));
  QCOMPARE(s.alphaBar(5000), s.alphaBar(999));  // clamped
  for (int t = 1; t < 1000; ++t) QVERIFY(s.alphaBar(t) < s.alphaBar(t - 1));
}

void TstNoiseSchedule::linearAndCosineBetas() {
  ns::ScheduleConfig c;
  c.beta = ns::BetaSchedule::Linear;
  c.betaStart = 0.0001;
  c.betaEnd = 0.02;
  const ns::NoiseSchedule lin = makeSchedule(c);
  const double beta0 = 1.0 - lin.alphaBar(0);
  const double beta999 = 1.0 - lin.alphaBar(999) / lin.alphaBar(998);
  const double beta500 = 1.0 - lin.alphaBar(500) / lin.alphaBar(499);
  QVERIFY2(std::fabs(beta0 - 0.0001) < 1e-12, std::to_string(beta0).c_str());
  QVERIFY2(std::fabs(beta999 - 0.02) < 1e-9, std::to_string(beta999).c_str());
  QVERIFY2(std::fabs(beta500 - (0.0001 + (0.02 - 0.0001) * 500.0 / 999.0)) < 1e-9, std::to_string(beta500).c_str());

  c.beta = ns::BetaSchedule::Cosine;
  const ns::NoiseSchedule cos = makeSchedule(c);
  // ᾱ_t of the cosine schedule is close to cos²(((t+1)/T + s)/(1+s)·π/2)/cos²(s/(1+s)·π/2).
  const double pi = 3.14159265358979323846;
  auto f = [&](double u) { return std::pow(std::cos((u + 0.008) / 1.008 * pi / 2), 2); };
  const double expected499 = f(500.0 / 1000.0) / f(0.0);
  QVERIFY2(std::fabs(cos.alphaBar(499) - expected499) < 1e-9,
           (std::to_string(cos.alphaBar(499)) + " vs " + std::to_string(expected499)).c_str());
  QVERIFY2(cos.alphaBar(999) < 1e-4 && cos.alphaBar(999) >= 0.0, std::to_string(cos.alphaBar(999)).c_str());
}

void TstNoiseSchedule::finalAlphaBar() {
  ns::ScheduleConfig c;
  const ns::NoiseSchedule sd = makeSchedule(c);
  QCOMPARE(sd.finalAlphaBar(), sd.alphaBar(0));
  QCOMPARE(sd.alphaBar(-1), 0.99915);
  c.setAlphaToOne = true;
  const ns::NoiseSchedule one = makeSchedule(c);
  QCOMPARE(one.alphaBar(-19), 1.0);
}

void TstNoiseSchedule::zeroTerminalSnrRescale() {
  ns::ScheduleConfig c;
  const ns::NoiseSchedule plain = makeSchedule(c);
  c.zeroTerminalSnr = true;
  const ns::NoiseSchedule z = makeSchedule(c);
  QCOMPARE(z.alphaBar(999), 0.0);
  QVERIFY2(std::fabs(z.alphaBar(0) - plain.alphaBar(0)) < 1e-12, std::to_string(z.alphaBar(0)).c_str());
  // Mid-schedule: √ᾱ is shifted and scaled, so it is smaller than before.
  const double r0 = std::sqrt(plain.alphaBar(0)), rT = std::sqrt(plain.alphaBar(999));
  const double r = (std::sqrt(plain.alphaBar(500)) - rT) * r0 / (r0 - rT);
  QVERIFY2(std::fabs(z.alphaBar(500) - r * r) < 1e-12, std::to_string(z.alphaBar(500)).c_str());
  for (int t = 1; t < 1000; ++t) QVERIFY(z.alphaBar(t) < z.alphaBar(t - 1));
}

void TstNoiseSchedule::snrShift() {
  ns::ScheduleConfig c;
  const ns::NoiseSchedule plain = makeSchedule(c);
  c.snrShiftScale = 3.0;
  const ns::NoiseSchedule shifted = makeSchedule(c);
  for (int t : {0, 250, 700, 999}) {
    const double a = plain.alphaBar(t), b = shifted.alphaBar(t);
    const double snrRatio = (a / (1 - a)) / (b / (1 - b));
    QVERIFY2(std::fabs(snrRatio - 3.0) < 1e-9, (std::to_string(t) + ": " + std::to_string(snrRatio)).c_str());
  }
}

void TstNoiseSchedule::leadingTimesteps() {
  const ns::NoiseSchedule s = makeSchedule(ns::ScheduleConfig{});  // SD: leading, offset 1
  const auto t50 = s.timesteps(50);
  QCOMPARE(int(t50.size()), 50);
  for (int i = 0; i < 50; ++i) QCOMPARE(t50[size_t(i)], int64_t(981 - 20 * i));
  const auto t100 = s.timesteps(100);
  QCOMPARE(int(t100.size()), 100);
  for (int i = 0; i < 100; ++i) QCOMPARE(t100[size_t(i)], int64_t(991 - 10 * i));
  // The DDIM baseline scheduler (steps_offset 0): 990 … 0.
  const auto base = ns::NoiseSchedule::timesteps(100, ns::TimestepSpacing::Leading, 1000, 0);
  QCOMPARE(base.front(), int64_t(990));
  QCOMPARE(base.back(), int64_t(0));
  QVERIFY(s.timesteps(0).empty());
  QVERIFY(s.timesteps(1001).empty());
  // N = T: the offset cannot apply in full without leaving [0, T): 999 … 0, all distinct.
  // N = T − 1 (ratio 1 too) still fits it: 999 … 1.
  for (const int n : {1000, 999, 500}) {
    const auto t = s.timesteps(n);
    QCOMPARE(int(t.size()), n);
    QCOMPARE(t.front(), int64_t(n == 500 ? 499 * 2 + 1 : 999));
    QCOMPARE(t.back(), int64_t(n == 1000 ? 0 : 1));
    for (size_t i = 1; i < t.size(); ++i) QVERIFY2(t[i] < t[i - 1], "not strictly descending at " + std::to_string(i));
  }
}

void TstNoiseSchedule::trailingTimesteps() {
  const auto t50 = ns::NoiseSchedule::timesteps(50, ns::TimestepSpacing::Trailing, 1000, 0);
  QCOMPARE(int(t50.size()), 50);
  for (int i = 0; i < 50; ++i) QCOMPARE(t50[size_t(i)], int64_t(999 - 20 * i));
  const auto t100 = ns::NoiseSchedule::timesteps(100, ns::TimestepSpacing::Trailing, 1000, 0);
  for (int i = 0; i < 100; ++i) QCOMPARE(t100[size_t(i)], int64_t(999 - 10 * i));
  // Non-divisible N rounds like numpy (reference list computed in float64).
  const std::vector<int64_t> ref30 = {999, 966, 932, 899, 866, 832, 799, 766, 732, 699, 666, 632, 599, 566, 532,
                                      499, 466, 432, 399, 366, 332, 299, 266, 232, 199, 166, 132, 99,  66,  32};
  const auto t30 = ns::NoiseSchedule::timesteps(30, ns::TimestepSpacing::Trailing, 1000, 0);
  QVERIFY2(t30 == ref30, listToString(t30).c_str());
}

void TstNoiseSchedule::linspaceTimesteps() {
  const std::vector<int64_t> ref = {999, 979, 958, 938, 917, 897, 877, 856, 836, 816, 795, 775, 754,
                                    734, 714, 693, 673, 652, 632, 612, 591, 571, 550, 530, 510, 489,
                                    469, 449, 428, 408, 387, 367, 347, 326, 306, 285, 265, 245, 224,
                                    204, 183, 163, 143, 122, 102, 82,  61,  41,  20,  0};
  const auto t50 = ns::NoiseSchedule::timesteps(50, ns::TimestepSpacing::Linspace, 1000, 0);
  QVERIFY2(t50 == ref, listToString(t50).c_str());
  const auto t100 = ns::NoiseSchedule::timesteps(100, ns::TimestepSpacing::Linspace, 1000, 0);
  QCOMPARE(t100.front(), int64_t(999));
  QCOMPARE(t100.back(), int64_t(0));
  QCOMPARE(t100[1], int64_t(989));  // round(98·999/99) = round(988.9)
}

void TstNoiseSchedule::previousTimestep() {
  const ns::NoiseSchedule s = makeSchedule(ns::ScheduleConfig{});
  QCOMPARE(s.previousTimestep(981, 50), int64_t(961));
  QCOMPARE(s.previousTimestep(1, 50), int64_t(-19));
  const std::vector<int64_t> ts = {699, 679, 19};
  QCOMPARE(ns::NoiseSchedule::nextInList(ts, 0), int64_t(679));
  QCOMPARE(ns::NoiseSchedule::nextInList(ts, 2), int64_t(-1));
}

void TstNoiseSchedule::invalidConfigsAreRefused() {
  ns::ScheduleConfig c;
  c.betaStart = 0.02;
  c.betaEnd = 0.01;
  auto r = ns::NoiseSchedule::fromConfig(c);
  QVERIFY(!r.ok());
  QVERIFY2(r.error().message.find("betaStart") != std::string::npos, r.error().message.c_str());
  c = ns::ScheduleConfig{};
  c.beta = ns::BetaSchedule::Invalid;
  QVERIFY(!ns::NoiseSchedule::fromConfig(c).ok());
  c = ns::ScheduleConfig{};
  c.trainSteps = 1;
  auto r2 = ns::NoiseSchedule::fromConfig(c);
  QVERIFY(!r2.ok());
  QVERIFY2(r2.error().message.find("trainSteps") != std::string::npos, r2.error().message.c_str());
}

NS_REGISTER_TEST(TstNoiseSchedule, scaledLinearMatchesStableDiffusion, linearAndCosineBetas, finalAlphaBar,
                 zeroTerminalSnrRescale, snrShift, leadingTimesteps, trailingTimesteps, linspaceTimesteps,
                 previousTimestep, invalidConfigsAreRefused)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_noise_schedule.moc"
#endif
