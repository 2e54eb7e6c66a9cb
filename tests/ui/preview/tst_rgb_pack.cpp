// Tests ui/preview/rgb_pack.cpp: the RGBA8 words the Vulkan RGB map reads are exactly the
// reference picture's 8-bit values (clamping, NaN, rounding, 1/2/3 layers, vector tails).
#include "tests/support/ns_test.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "ui/preview/reference_render.h"
#include "ui/preview/rgb_pack.h"

using namespace ns::ui;

namespace {
int byteOf(uint32_t word, int i) { return int((word >> (8 * i)) & 0xFFu); }
}  // namespace

class TstRgbPack : public QObject {
  Q_OBJECT
 private slots:
  void clampsRoundsAndHandlesNan();
  void layerRules();
  void matchesReferenceRender();

 private:
  // packRgb of random w x h frame vs referenceRender: the first differing pixel, or empty.
  QString firstMismatch(int w, int h);
};

void TstRgbPack::clampsRoundsAndHandlesNan() {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  // One grey layer: each value's byte shows in R, G and B.
  const std::vector<float> v = {0.f, 1.f, 0.5f, -0.2f, 7.f, nan, -inf, inf, 0.4999f / 255.f, 0.5001f / 255.f, 254.5f / 255.f};
  const std::vector<int> want = {0, 255, 128, 0, 255, 0, 0, 255, 0, 1, 255};
  std::vector<uint32_t> out(v.size(), 0u);
  packRgb(v.data(), v.size(), 1, out.data());
  for (size_t i = 0; i < v.size(); ++i) {
    QVERIFY2(byteOf(out[i], 0) == want[i] && byteOf(out[i], 1) == want[i] && byteOf(out[i], 2) == want[i],
             qPrintable(QString("value %1: packed %2, expected grey %3").arg(double(v[i])).arg(out[i], 8, 16).arg(want[i])));
    QCOMPARE(byteOf(out[i], 3), 255);
  }
}

void TstRgbPack::layerRules() {
  // Two pixels, planar: c0 = (0.2, 1), c1 = (0.6, 0), c2 = (1, 0.4).
  const std::vector<float> planes = {0.2f, 1.f, 0.6f, 0.f, 1.f, 0.4f};
  uint32_t out[2];
  packRgb(planes.data(), 2, 3, out);
  QCOMPARE(out[0], 0xFFFF9933u);  // R 51, G 153, B 255
  QCOMPARE(out[1], 0xFF6600FFu);  // R 255, G 0, B 102
  packRgb(planes.data(), 2, 2, out);
  QCOMPARE(out[0], 0xFF009933u);  // two layers: (c0, c1, 0)
  QCOMPARE(out[1], 0xFF0000FFu);
}

void TstRgbPack::matchesReferenceRender() {
  // 1031 px: not a multiple of any vector width, so the scalar tail is covered too; 1031 x 300
  // is above the size packed by two threads (an odd count: the halves differ by one).
  for (const int h : {1, 300}) {
    const QString mismatch = firstMismatch(1031, h);
    QVERIFY2(mismatch.isEmpty(), qPrintable(mismatch));
  }
}

QString TstRgbPack::firstMismatch(int w, int h) {
  ns::FrameBuffer f{ns::FrameKind::Image, 1, 3, h, w, {}};
  f.data.resize(size_t(3) * size_t(w) * size_t(h));
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-0.25f, 1.25f);
  for (float& x : f.data) x = u(rng);
  const QImage ref = referenceRender(f, PreviewParams{});
  const size_t plane = size_t(w) * size_t(h);
  std::vector<uint32_t> out(plane, 0u);
  packRgb(f.data.data(), plane, 3, out.data());
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const QRgb p = ref.pixel(x, y);
      const uint32_t got = out[size_t(y) * size_t(w) + size_t(x)];
      if (byteOf(got, 0) != qRed(p) || byteOf(got, 1) != qGreen(p) || byteOf(got, 2) != qBlue(p) || byteOf(got, 3) != 255)
        return QString("%1x%2, pixel (%3,%4): packed %5, reference %6").arg(w).arg(h).arg(x).arg(y).arg(got, 8, 16).arg(p, 8, 16);
    }
  return {};
}

NS_REGISTER_TEST(TstRgbPack, clampsRoundsAndHandlesNan, layerRules, matchesReferenceRender)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_rgb_pack.moc"
#endif
