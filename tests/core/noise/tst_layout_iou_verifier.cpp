// Tests core/noise/layout_iou_verifier.h: colour naming under shading, blob boxes, and the mean
// IoU score against planned layouts.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include <cmath>
#include <string>

#include "core/noise/layout_iou_verifier.h"

namespace {
std::string num(double v) { return std::to_string(v); }

// Fills pixels [x0,x1)×[y0,y1) of image [3,H,W] (values in [-1,1]) with RGB in [0,1], shaded
// from full brightness at the top to `shade`× at the bottom.
void fillRect(at::Tensor& img, int x0, int y0, int x1, int y1, float r, float g, float b, float shade = 1.f) {
  for (int y = y0; y < y1; ++y) {
    const float k = 1.f - (1.f - shade) * float(y - y0) / float(std::max(1, y1 - y0 - 1));
    const float rgb[3] = {r * k, g * k, b * k};
    for (int c = 0; c < 3; ++c) img[c].narrow(0, y, 1).narrow(1, x0, x1 - x0).fill_(rgb[c] * 2.f - 1.f);
  }
}

at::Tensor scene() {
  at::Tensor img = at::empty({3, 64, 64});
  fillRect(img, 0, 0, 64, 64, 0.3f, 0.6f, 0.2f, 0.8f);   // grass
  fillRect(img, 10, 20, 30, 40, 1.f, 0.1f, 0.1f, 0.6f);  // shaded red box
  fillRect(img, 50, 5, 53, 8, 1.f, 0.f, 0.f);            // a small red speck (not the largest)
  fillRect(img, 40, 40, 56, 60, 1.f, 0.9f, 0.1f, 0.7f);  // yellow object
  return img;
}
}  // namespace

class TstLayoutIouVerifier : public QObject {
  Q_OBJECT
 private slots:
  void namesColoursUnderShading();
  void findsTheLargestBlob();
  void scoresMeanIou();
};

void TstLayoutIouVerifier::namesColoursUnderShading() {
  struct Row { float r, g, b; const char* name; };
  const Row rows[] = {
      {1, 0, 0, "red"},         {0.6f, 0, 0, "red"},         {1, 0.5f, 0, "orange"},   {1, 1, 0, "yellow"},
      {0.7f, 0.7f, 0, "yellow"}, {0, 0.8f, 0, "green"},      {0, 0.35f, 0, "green"},  {0, 0, 1, "blue"},
      {0.5f, 0.7f, 1, "blue"},  {0.5f, 0, 0.8f, "purple"},   {1, 0.75f, 0.8f, "pink"}, {1, 0.4f, 0.7f, "pink"},
      {0.95f, 0.95f, 0.95f, "white"}, {0.05f, 0.05f, 0.1f, "black"}, {0.55f, 0.27f, 0.07f, "brown"},
      {0.5f, 0.5f, 0.5f, ""}};
  for (const Row& r : rows) {
    const std::string got = ns::LayoutIouVerifier::classify(r.r, r.g, r.b);
    QVERIFY2(got == r.name, ("rgb " + num(r.r) + "," + num(r.g) + "," + num(r.b) + " -> '" + got + "', want '" +
                             r.name + "'").c_str());
  }
  QCOMPARE(int(ns::LayoutIouVerifier::colourNames().size()), 10);
}

void TstLayoutIouVerifier::findsTheLargestBlob() {
  const at::Tensor img = scene();
  const auto red = ns::LayoutIouVerifier::findObjectBox(img, "red");
  QVERIFY(red.has_value());
  const std::string msg = "red box " + num(red->x0) + "," + num(red->y0) + " - " + num(red->x1) + "," + num(red->y1);
  QVERIFY2(std::fabs(red->x0 - 10 / 64.f) < 1e-6 && std::fabs(red->y0 - 20 / 64.f) < 1e-6 &&
               std::fabs(red->x1 - 30 / 64.f) < 1e-6 && std::fabs(red->y1 - 40 / 64.f) < 1e-6,
           msg.c_str());
  const auto yellow = ns::LayoutIouVerifier::findObjectBox(img, "yellow");
  QVERIFY(yellow && std::fabs(yellow->x0 - 40 / 64.f) < 1e-6 && std::fabs(yellow->y1 - 60 / 64.f) < 1e-6);
  QVERIFY(!ns::LayoutIouVerifier::findObjectBox(img, "purple").has_value());
  QVERIFY(!ns::LayoutIouVerifier::findObjectBox(img, "chartreuse").has_value());
  const auto grass = ns::LayoutIouVerifier::findObjectBox(img, "green");
  QVERIFY(grass && grass->x0 == 0.f && grass->x1 == 1.f);
}

void TstLayoutIouVerifier::scoresMeanIou() {
  const at::Tensor img = scene();
  ns::LayoutIouVerifier v;
  ns::VerifierQuery q;
  q.layout.push_back({"box", "red", {10 / 64.f, 20 / 64.f, 30 / 64.f, 40 / 64.f}});
  q.layout.push_back({"ball", "yellow", {40 / 64.f, 40 / 64.f, 56 / 64.f, 60 / 64.f}});
  const at::Tensor both = v.score(at::stack({img, img}), q);
  QCOMPARE(both.size(0), int64_t(2));
  QVERIFY2(std::fabs(both[0].item<float>() - 1.f) < 1e-5, ("perfect layout scores " + num(both[0].item<float>())).c_str());
  // Red planned half a box to the right: IoU 1/3; mean with the yellow's 1 is 2/3.
  q.layout[0].box = {20 / 64.f, 20 / 64.f, 40 / 64.f, 40 / 64.f};
  const float shifted = v.score(img, q)[0].item<float>();
  QVERIFY2(std::fabs(shifted - 2.f / 3.f) < 1e-4, ("shifted layout scores " + num(shifted)).c_str());
  // A planned purple object that is not there counts 0.
  q.layout[0] = {"star", "purple", {0.1f, 0.1f, 0.3f, 0.3f}};
  const float missing = v.score(img, q)[0].item<float>();
  QVERIFY2(std::fabs(missing - 0.5f) < 1e-4, ("missing object scores " + num(missing)).c_str());
  QCOMPARE(v.score(img, ns::VerifierQuery{})[0].item<float>(), 0.f);
}

NS_REGISTER_TEST(TstLayoutIouVerifier, namesColoursUnderShading, findsTheLargestBlob, scoresMeanIou)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_layout_iou_verifier.moc"
#endif
