// Tests core/plan/trajectory.h: key ordering and replacement, linear and Catmull-Rom values at
// known frames (checked against the textbook Catmull-Rom matrix form), easing curves, holds.
#include "tests/support/ns_test.h"

#include <cmath>
#include <string>

#include "core/plan/trajectory.h"

namespace {

ns::NormBox boxAround(double cx, double cy, double w, double h) {
  return ns::NormBox{float(cx - w / 2), float(cy - h / 2), float(cx + w / 2), float(cy + h / 2)};
}

ns::Keyframe key(int frame, double cx, double cy, double w = 0.2, double h = 0.2, double rot = 0,
                 ns::Easing e = ns::Easing::Linear) {
  ns::Keyframe k;
  k.frame = frame;
  k.box = boxAround(cx, cy, w, h);
  k.rotationDeg = rot;
  k.easing = e;
  return k;
}

// Textbook uniform Catmull-Rom through P1..P2 with neighbours P0, P3 (t in [0,1]).
double catmullRom(double p0, double p1, double p2, double p3, double t) {
  return 0.5 * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t * t +
                (-p0 + 3 * p1 - 3 * p2 + p3) * t * t * t);
}

bool near(double a, double b, double tol = 1e-5) { return std::fabs(a - b) <= tol; }

std::string str(double a, double b) { return "got " + std::to_string(a) + ", want " + std::to_string(b); }

}  // namespace

class TstTrajectory : public QObject {
  Q_OBJECT
 private slots:
  void keysStayOrderedAndReplace();
  void linearValues();
  void easingValues();
  void catmullRomMatchesTextbook();
  void holdsOutsideKeys();
  void namesRoundTrip();
};

void TstTrajectory::keysStayOrderedAndReplace() {
  ns::Trajectory t;
  t.setKey(key(10, 0.5, 0.5));
  t.setKey(key(0, 0.1, 0.5));
  t.setKey(key(20, 0.9, 0.5));
  t.setKey(key(5, 0.3, 0.5));
  QCOMPARE(int(t.keys().size()), 4);
  for (size_t i = 1; i < t.keys().size(); ++i)
    QVERIFY2(t.keys()[i - 1].frame < t.keys()[i].frame, "keys out of order");
  QCOMPARE(t.keys()[0].frame, 0);
  QCOMPARE(t.keys()[3].frame, 20);
  // Same frame replaces, does not duplicate.
  t.setKey(key(10, 0.7, 0.2));
  QCOMPARE(int(t.keys().size()), 4);
  QVERIFY2(near(t.keys()[2].box.cx(), 0.7), str(t.keys()[2].box.cx(), 0.7));
  QVERIFY(t.removeKey(5));
  QVERIFY(!t.removeKey(5));
  QCOMPARE(int(t.keys().size()), 3);
  QCOMPARE(t.keys()[1].frame, 10);
}

void TstTrajectory::linearValues() {
  ns::Trajectory t(ns::Interpolation::Linear);
  t.setKey(key(0, 0.2, 0.5, 0.2, 0.2, 0));
  t.setKey(key(10, 0.8, 0.3, 0.4, 0.1, 90));
  const ns::Pose p = t.poseAt(5);
  QVERIFY2(near(p.box.cx(), 0.5), str(p.box.cx(), 0.5));
  QVERIFY2(near(p.box.cy(), 0.4), str(p.box.cy(), 0.4));
  QVERIFY2(near(p.box.width(), 0.3), str(p.box.width(), 0.3));
  QVERIFY2(near(p.box.height(), 0.15), str(p.box.height(), 0.15));
  QVERIFY2(near(p.rotationDeg, 45), str(p.rotationDeg, 45));
  // Fractional frames interpolate too.
  const ns::Pose q = t.poseAt(2.5);
  QVERIFY2(near(q.box.cx(), 0.35), str(q.box.cx(), 0.35));
  QVERIFY2(near(q.rotationDeg, 22.5), str(q.rotationDeg, 22.5));
  // Keys are hit exactly.
  QVERIFY2(near(t.boxAt(10).cx(), 0.8), str(t.boxAt(10).cx(), 0.8));
}

void TstTrajectory::easingValues() {
  QVERIFY(near(ns::applyEasing(ns::Easing::EaseIn, 0.5), 0.25));
  QVERIFY(near(ns::applyEasing(ns::Easing::EaseOut, 0.5), 0.75));
  QVERIFY(near(ns::applyEasing(ns::Easing::EaseInOut, 0.25), 0.125));
  QVERIFY(near(ns::applyEasing(ns::Easing::EaseInOut, 0.75), 0.875));
  QVERIFY(near(ns::applyEasing(ns::Easing::EaseInOut, 0.5), 0.5));
  for (ns::Easing e : {ns::Easing::Linear, ns::Easing::EaseIn, ns::Easing::EaseOut, ns::Easing::EaseInOut}) {
    QVERIFY2(near(ns::applyEasing(e, 0), 0) && near(ns::applyEasing(e, 1), 1), ns::easingName(e));
  }
  // The first key's easing shapes the segment: cx = 0.2 + 0.6 * ease(0.5).
  const double want[] = {0.5, 0.2 + 0.6 * 0.25, 0.2 + 0.6 * 0.75, 0.5};
  const ns::Easing eases[] = {ns::Easing::Linear, ns::Easing::EaseIn, ns::Easing::EaseOut, ns::Easing::EaseInOut};
  for (int i = 0; i < 4; ++i) {
    ns::Trajectory t;
    t.setKey(key(0, 0.2, 0.5, 0.2, 0.2, 0, eases[i]));
    t.setKey(key(10, 0.8, 0.5, 0.2, 0.2, 0, ns::Easing::EaseIn));  // last key's easing is unused
    const double cx = t.boxAt(5).cx();
    QVERIFY2(near(cx, want[i]), ns::easingName(eases[i]) + ": " + str(cx, want[i]));
  }
  // easeInOut at a quarter: 0.2 + 0.6 * 0.125.
  ns::Trajectory t;
  t.setKey(key(0, 0.2, 0.5, 0.2, 0.2, 0, ns::Easing::EaseInOut));
  t.setKey(key(8, 0.8, 0.5));
  QVERIFY2(near(t.boxAt(2).cx(), 0.275), str(t.boxAt(2).cx(), 0.275));
}

void TstTrajectory::catmullRomMatchesTextbook() {
  ns::Trajectory t(ns::Interpolation::CatmullRom);
  t.setKey(key(0, 0.1, 0.5));
  t.setKey(key(10, 0.5, 0.1));
  t.setKey(key(20, 0.9, 0.5));
  // Hand-computed: frame 5 -> (0.3, 0.25), frame 15 -> (0.7, 0.25), frame 10 hits the key.
  QVERIFY2(near(t.boxAt(5).cx(), 0.3) && near(t.boxAt(5).cy(), 0.25), str(t.boxAt(5).cx(), 0.3) + " / " + str(t.boxAt(5).cy(), 0.25));
  QVERIFY2(near(t.boxAt(15).cx(), 0.7) && near(t.boxAt(15).cy(), 0.25), str(t.boxAt(15).cx(), 0.7));
  QVERIFY2(near(t.boxAt(10).cx(), 0.5) && near(t.boxAt(10).cy(), 0.1), str(t.boxAt(10).cy(), 0.1));
  // Every frame against the matrix form with reflected end points P_-1 = 2P0 - P1, P_3 = 2P2 - P1.
  const double xs[] = {2 * 0.1 - 0.5, 0.1, 0.5, 0.9, 2 * 0.9 - 0.5};
  const double ys[] = {2 * 0.5 - 0.1, 0.5, 0.1, 0.5, 2 * 0.5 - 0.1};
  double worst = 0;
  for (int f = 0; f <= 20; ++f) {
    const int seg = f < 10 ? 0 : (f < 20 ? 1 : 1);
    const double s = f == 20 ? 1.0 : (f - seg * 10) / 10.0;
    const double ex = catmullRom(xs[seg], xs[seg + 1], xs[seg + 2], xs[seg + 3], s);
    const double ey = catmullRom(ys[seg], ys[seg + 1], ys[seg + 2], ys[seg + 3], s);
    worst = std::max(worst, std::fabs(t.boxAt(f).cx() - ex));
    worst = std::max(worst, std::fabs(t.boxAt(f).cy() - ey));
  }
  QVERIFY2(worst < 1e-5, "max deviation from the textbook spline " + std::to_string(worst));
  // Linear interpolation of the same keys differs (the curve is really curved).
  ns::Trajectory lin = t;
  lin.setInterpolation(ns::Interpolation::Linear);
  QVERIFY2(near(lin.boxAt(5).cy(), 0.3), str(lin.boxAt(5).cy(), 0.3));
}

void TstTrajectory::holdsOutsideKeys() {
  ns::Trajectory t;
  QVERIFY(t.empty());
  QCOMPARE(t.boxAt(3).width(), 0.f);
  t.setKey(key(4, 0.3, 0.4, 0.2, 0.2, 30));
  t.setKey(key(8, 0.7, 0.6, 0.2, 0.2, 60));
  QVERIFY2(near(t.boxAt(0).cx(), 0.3) && near(t.rotationAt(-5), 30), str(t.boxAt(0).cx(), 0.3));
  QVERIFY2(near(t.boxAt(100).cy(), 0.6) && near(t.rotationAt(12), 60), str(t.boxAt(100).cy(), 0.6));
  // One key: constant everywhere.
  ns::Trajectory one;
  one.setKey(key(3, 0.5, 0.5, 0.1, 0.3));
  QVERIFY(near(one.boxAt(0).height(), 0.3) && near(one.boxAt(50).cx(), 0.5));
}

void TstTrajectory::namesRoundTrip() {
  for (ns::Easing e : {ns::Easing::Linear, ns::Easing::EaseIn, ns::Easing::EaseOut, ns::Easing::EaseInOut})
    QVERIFY(ns::easingFromName(ns::easingName(e)) == e);
  QVERIFY(ns::easingFromName("bouncy") == ns::Easing::Invalid);
  QVERIFY(ns::interpolationFromName("catmull_rom") == ns::Interpolation::CatmullRom);
  QVERIFY(ns::interpolationFromName("linear") == ns::Interpolation::Linear);
  QVERIFY(ns::interpolationFromName("cubic") == ns::Interpolation::Invalid);
}

NS_REGISTER_TEST(TstTrajectory, keysStayOrderedAndReplace, linearValues, easingValues, catmullRomMatchesTextbook,
                 holdsOutsideKeys, namesRoundTrip)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_trajectory.moc"
#endif
