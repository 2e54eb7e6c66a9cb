// Tests ui/preview/reference_render.cpp: the CPU colour maps every preview path is checked against.
#include "tests/support/ns_test.h"

#include "tests/ui/preview/preview_test_frames.h"
#include "ui/preview/reference_render.h"

using namespace ns::ui;

class TstReferenceRender : public QObject {
  Q_OBJECT
 private slots:
  void rgbRoundsAndClamps();
  void sigmaOfKnownData();
  void heatMapEndpointsAndCentre();
  void heatUsesThreeSigma();
  void wheelDirectionsAndMagnitude();
  void splitTakesSourceLeftOfDivider();
  void onionBlendsNeighbours();
  void inspectorText();
};

void TstReferenceRender::rgbRoundsAndClamps() {
  ns::FrameBuffer f{ns::FrameKind::Image, 1, 3, 1, 4, {}};
  // pixels: (0.5, 0, 1), (-1, 2, 0.2), (0.1, 0.25, 0.75), (1, 1, 1)
  f.data = {0.5f, -1.f, 0.1f, 1.f, 0.f, 2.f, 0.25f, 1.f, 1.f, 0.2f, 0.75f, 1.f};
  const QImage img = referenceRender(f, PreviewParams{});
  QCOMPARE(img.size(), QSize(4, 1));
  QCOMPARE(img.pixel(0, 0), qRgb(128, 0, 255));
  QCOMPARE(img.pixel(1, 0), qRgb(0, 255, 51));
  QCOMPARE(img.pixel(2, 0), qRgb(26, 64, 191));
  QCOMPARE(img.pixel(3, 0), qRgb(255, 255, 255));
  QVERIFY(referenceRender(ns::FrameBuffer{}, PreviewParams{}).isNull());
}

void TstReferenceRender::sigmaOfKnownData() {
  ns::FrameBuffer f{ns::FrameKind::Noise, 1, 2, 2, 2, {}};
  f.data = {-1.f, 1.f, -1.f, 1.f, /* channel 1 */ 3.f, 3.f, 3.f, 3.f};
  QCOMPARE(channelSigma(f, 0, 0), 1.f);
  QCOMPARE(channelSigma(f, 0, 1), 0.f);
  QCOMPARE(colourMapParameter(f, 0, ColourMap::Heat, 1), 1.f);  // constant channel falls back to ±1
  const ns::FrameBuffer n = nstest::noiseFrames(128, 128, 4, 1, 2.f);
  const float s = channelSigma(n, 0, 2);
  QVERIFY2(std::abs(s - 2.f) < 0.05f, qPrintable(QString("sigma %1, expected 2").arg(s)));
}

void TstReferenceRender::heatMapEndpointsAndCentre() {
  const Rgb mid = heatColour(0.f), lo = heatColour(-1.f), hi = heatColour(1.f);
  QVERIFY2(mid[0] > 0.95f && mid[1] > 0.95f && mid[2] > 0.95f, "0 maps to white");
  QVERIFY2(lo[2] > lo[0] && lo[0] < 0.1f, "-1 maps to dark blue");
  QVERIFY2(hi[0] > hi[2] && hi[1] < 0.05f, "+1 maps to dark red");
  const Rgb beyond = heatColour(-7.f);
  QCOMPARE(beyond[2], lo[2]);
  // Diverging: lightness rises to white at 0 and falls after; blue below 0, red above.
  float last = -1.f;
  for (int i = 0; i <= 40; ++i) {
    const float t = -1.f + i / 20.f;
    const Rgb c = heatColour(t);
    const float light = c[0] + c[1] + c[2];
    if (t <= 0.f) QVERIFY2(light >= last - 1e-6f, qPrintable(QString("lightness falls at t=%1").arg(t)));
    else QVERIFY2(light <= last + 1e-6f, qPrintable(QString("lightness rises at t=%1").arg(t)));
    if (t < -0.01f) QVERIFY2(c[2] > c[0], qPrintable(QString("not blue at t=%1").arg(t)));
    if (t > 0.01f) QVERIFY2(c[0] > c[2], qPrintable(QString("not red at t=%1").arg(t)));
    last = light;
  }
}

void TstReferenceRender::heatUsesThreeSigma() {
  ns::FrameBuffer f = nstest::noiseFrames(64, 64, 3, 1, 0.5f);
  const float s = channelSigma(f, 0, 1);
  f.data[size_t(64 * 64) * 1 + 0] = 3.f * s;   // channel 1, pixel (0,0) at +3σ
  f.data[size_t(64 * 64) * 1 + 1] = -3.f * s;  // (1,0) at -3σ
  f.data[size_t(64 * 64) * 1 + 2] = 0.f;       // (2,0) at 0
  PreviewParams p;
  p.mode = PreviewMode::NoiseChannel;
  p.noiseChannel = 1;
  const QImage img = referenceRender(f, p);
  const float s2 = channelSigma(f, 0, 1);  // the three edits move σ a little
  const auto expect = [&](float v) {
    const Rgb c = heatColour(v / (3.f * s2));
    return qRgb(int(std::lround(c[0] * 255)), int(std::lround(c[1] * 255)), int(std::lround(c[2] * 255)));
  };
  QCOMPARE(img.pixel(0, 0), expect(3.f * s));
  QCOMPARE(img.pixel(1, 0), expect(-3.f * s));
  QCOMPARE(img.pixel(2, 0), qRgb(247, 247, 247));
}

void TstReferenceRender::wheelDirectionsAndMagnitude() {
  // Middlebury convention: +x red, -x cyan-blue, -y (up) violet-blue, +y (down) yellow.
  const Rgb right = wheelColour(1.f, 0.f, 1.f), left = wheelColour(-1.f, 0.f, 1.f);
  const Rgb down = wheelColour(0.f, 1.f, 1.f), up = wheelColour(0.f, -1.f, 1.f);
  QVERIFY2(right[0] == 1.f && right[1] == 0.f && right[2] == 0.f, "+x is pure red");
  QVERIFY2(left[0] < 0.1f && left[1] > 0.75f && left[2] > 0.9f, qPrintable(QString("-x %1 %2 %3").arg(left[0]).arg(left[1]).arg(left[2])));
  QVERIFY2(up[2] > 0.9f && up[1] < 0.5f, qPrintable(QString("-y %1 %2 %3").arg(up[0]).arg(up[1]).arg(up[2])));
  QVERIFY2(down[1] > 0.8f && down[2] < 0.1f, qPrintable(QString("+y %1 %2 %3").arg(down[0]).arg(down[1]).arg(down[2])));
  const Rgb zero = wheelColour(0.f, 0.f, 1.f), half = wheelColour(0.5f, 0.f, 1.f);
  QVERIFY(zero[0] == 1.f && zero[1] == 1.f && zero[2] == 1.f);
  QVERIFY2(std::abs(half[1] - 0.5f) < 1e-6f, "half the max magnitude is half saturated");
  const Rgb none = wheelColour(3.f, 4.f, 0.f);  // all-zero flow frame: max 0
  QVERIFY(none[0] == 1.f && none[1] == 1.f && none[2] == 1.f);
  const ns::FrameBuffer f = nstest::flowFrames(32, 32);
  float brute = 0.f;
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x) brute = std::max(brute, std::hypot(f.at(0, 0, y, x), f.at(0, 1, y, x)));
  QVERIFY2(std::abs(flowMaxMagnitude(f, 0) - brute) < 1e-5f,
           qPrintable(QString("max %1 vs brute force %2").arg(flowMaxMagnitude(f, 0)).arg(brute)));
}

void TstReferenceRender::splitTakesSourceLeftOfDivider() {
  ns::FrameBuffer a{ns::FrameKind::Image, 1, 3, 2, 4, std::vector<float>(24, 1.f)};  // white result
  ns::FrameBuffer b{ns::FrameKind::Image, 1, 3, 1, 2, std::vector<float>(6, 0.f)};   // black source, other size
  PreviewParams p;
  p.mode = PreviewMode::SplitAB;
  p.splitFraction = 0.5;
  const QImage img = referenceRender(a, p, &b);
  QCOMPARE(img.pixel(0, 0), qRgb(0, 0, 0));
  QCOMPARE(img.pixel(1, 1), qRgb(0, 0, 0));
  QCOMPARE(img.pixel(2, 0), qRgb(255, 255, 255));
  QCOMPARE(img.pixel(3, 1), qRgb(255, 255, 255));
  p.splitFraction = 1.0;
  QCOMPARE(referenceRender(a, p, &b).pixel(3, 0), qRgb(0, 0, 0));
}

void TstReferenceRender::onionBlendsNeighbours() {
  ns::FrameBuffer f{ns::FrameKind::Image, 3, 3, 1, 1, {0, 0, 0, /* f1 */ 1, 1, 1, /* f2 */ 0.5f, 0.5f, 0.5f}};
  PreviewParams p;
  p.mode = PreviewMode::OnionSkin;
  p.onionAlpha = 0.25;
  p.frame = 1;  // 0.5*1 + 0.25*0 + 0.25*0.5 = 0.625
  QCOMPARE(referenceRender(f, p).pixel(0, 0), qRgb(159, 159, 159));
  p.frame = 0;  // no previous: 0.75*0 + 0.25*1
  QCOMPARE(referenceRender(f, p).pixel(0, 0), qRgb(64, 64, 64));
  p.frame = 2;  // no next: 0.75*0.5 + 0.25*1 = 0.625
  QCOMPARE(referenceRender(f, p).pixel(0, 0), qRgb(159, 159, 159));
}

void TstReferenceRender::inspectorText() {
  ns::FrameBuffer f{ns::FrameKind::Image, 1, 3, 1, 1, {0.5f, 0.25f, 1.f}};
  QCOMPARE(pixelValueText(f, 0, 0, 0, 0), QString("(0, 0) R 0.500 G 0.250 B 1.000"));
  ns::FrameBuffer n{ns::FrameKind::Noise, 1, 2, 1, 1, {0.5f, -1.25f}};
  QCOMPARE(pixelValueText(n, 0, 0, 0, 1), QString("(0, 0) c1 -1.2500"));
  ns::FrameBuffer fl{ns::FrameKind::Flow, 1, 2, 1, 1, {3.f, -4.f}};
  QCOMPARE(pixelValueText(fl, 0, 0, 0, 0), QString("(0, 0) dx 3.000 dy -4.000 |v| 5.000"));
  QVERIFY(pixelValueText(fl, 0, 1, 0, 0).isEmpty());
}

NS_REGISTER_TEST(TstReferenceRender, rgbRoundsAndClamps, sigmaOfKnownData, heatMapEndpointsAndCentre, heatUsesThreeSigma,
                 wheelDirectionsAndMagnitude, splitTakesSourceLeftOfDivider, onionBlendsNeighbours, inspectorText)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_reference_render.moc"
#endif
