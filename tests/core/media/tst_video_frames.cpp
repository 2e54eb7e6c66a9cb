// Tests core/media/video_frames.cpp: the one-pass frame conversions readVideo/writeVideo use give
// exactly the values of the ATen formulation they replaced (byte / 127.5 - 1 and
// round((v + 1) * 127.5) clamped to [0, 255]), in B, G, R byte order, honouring the row stride.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/media/video_frames.h"

class TstVideoFrames : public QObject {
  Q_OBJECT
 private slots:
  void bytesToValuesLikeAten();
  void valuesToBytesLikeAten();
  void bytesSurviveARoundTrip();
};

void TstVideoFrames::bytesToValuesLikeAten() {
  // 256 x 2 frame: row 0 holds B = x, G = 255 - x, R = x / 2; row 1 is all 7. Stride has padding.
  const int w = 256, h = 2;
  const size_t stride = size_t(3 * w + 5);
  std::vector<uint8_t> bgr(stride * h, 0xEE);
  for (int x = 0; x < w; ++x) {
    bgr[size_t(3 * x)] = uint8_t(x);
    bgr[size_t(3 * x + 1)] = uint8_t(255 - x);
    bgr[size_t(3 * x + 2)] = uint8_t(x / 2);
    for (int c = 0; c < 3; ++c) bgr[stride + size_t(3 * x + c)] = 7;
  }
  std::vector<float> rgb(size_t(3 * w * h), -9.f);
  ns::media::bgrToPlanarRgb(bgr.data(), stride, w, h, rgb.data());
  const at::Tensor values = at::arange(256, at::kFloat).div(127.5).sub(1.0);  // the old formula
  const float* v = values.data_ptr<float>();
  const size_t plane = size_t(w * h);
  for (int x = 0; x < w; ++x) {
    QVERIFY2(std::abs(rgb[size_t(x)] - v[x / 2]) <= 1e-6f, "R of x=" + std::to_string(x));
    QVERIFY2(std::abs(rgb[plane + size_t(x)] - v[255 - x]) <= 1e-6f, "G of x=" + std::to_string(x));
    QVERIFY2(std::abs(rgb[2 * plane + size_t(x)] - v[x]) <= 1e-6f, "B of x=" + std::to_string(x));
    QCOMPARE(rgb[size_t(w + x)], v[7]);
    QCOMPARE(rgb[2 * plane + size_t(w + x)], v[7]);
  }
  QCOMPARE(rgb[0], -1.f);
  QCOMPARE(rgb[2 * plane + 255], 1.f);
}

void TstVideoFrames::valuesToBytesLikeAten() {
  // 3 planes of 1000 values: random in [-1.3, 1.3], values that land on .5 ties, the ends, NaN.
  const int w = 125, h = 8;
  const int64_t n = int64_t(w) * h;
  at::manual_seed(3);
  at::Tensor planes = at::rand({3, n}, at::kFloat).mul(2.6).sub(1.3);
  float* p = planes.data_ptr<float>();
  for (int k = 0; k < 255; ++k) p[k] = float(k + 0.5) / 127.5f - 1.f;  // ties, give or take an ulp
  p[300] = -1.f, p[301] = 1.f, p[302] = 5.f, p[303] = -5.f;
  p[304] = std::numeric_limits<float>::quiet_NaN();
  const size_t stride = size_t(3 * w + 3);
  std::vector<uint8_t> bgr(stride * h, 0xEE);
  ns::media::planarRgbToBgr(p, w, h, bgr.data(), stride);
  p[304] = 0.f;  // NaN: ATen's byte cast of NaN is undefined; the converter writes 0 (checked below)
  const at::Tensor want = planes.add(1.0).mul(127.5).round().clamp(0, 255).to(at::kByte);  // the old formula
  const uint8_t* q = want.data_ptr<uint8_t>();
  int ties = 0;
  for (int64_t i = 0; i < n; ++i) {
    const size_t px = size_t(i / w) * stride + size_t(3 * (i % w));
    for (int c = 0; c < 3; ++c) {
      const uint8_t got = bgr[px + size_t(2 - c)];  // plane c (R, G, B) lands at byte 2 - c
      const uint8_t expected = (c == 0 && i == 304) ? uint8_t(0) : q[c * n + i];
      QVERIFY2(got == expected, "plane " + std::to_string(c) + " value " + std::to_string(i) + ": got " +
                                    std::to_string(got) + ", ATen " + std::to_string(expected));
    }
    if (i < 255 && std::fmod((p[i] + 1.f) * 127.5f, 1.f) == 0.5f) ++ties;
  }
  QVERIFY2(ties > 50, "too few exact .5 ties exercised: " + std::to_string(ties));
  QCOMPARE(int(bgr[size_t(3 * w)]), 0xEE);  // the stride padding is untouched
}

void TstVideoFrames::bytesSurviveARoundTrip() {
  std::vector<uint8_t> bgr(256 * 3), back(256 * 3, 0);
  for (int i = 0; i < 256 * 3; ++i) bgr[size_t(i)] = uint8_t((i * 37) % 256);
  std::vector<float> rgb(256 * 3);
  ns::media::bgrToPlanarRgb(bgr.data(), 256 * 3, 256, 1, rgb.data());
  ns::media::planarRgbToBgr(rgb.data(), 256, 1, back.data(), 256 * 3);
  QVERIFY(bgr == back);
}

NS_REGISTER_TEST(TstVideoFrames, bytesToValuesLikeAten, valuesToBytesLikeAten, bytesSurviveARoundTrip)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_video_frames.moc"
#endif
