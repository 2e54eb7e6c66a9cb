// Tests core/media optical flow (DIS on a known pan) and GrabCut cut-outs (IoU on a synthetic object).
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include "core/media/cutout.h"
#include "core/media/image_io.h"
#include "core/media/optical_flow.h"

class TstFlowAndCutout : public QObject {
  Q_OBJECT
 private slots:
  void disFlowRecoversAPan();
  void grabCutRecoversASyntheticObject();
  void cutOutRefusesDegenerateBoxes();
};

void TstFlowAndCutout::disFlowRecoversAPan() {
  auto photo = ns::media::readImage(nstest::dataDir() + "/astronaut_128.png");
  QVERIFY(photo.ok());
  // Camera pans right by 3 px: content moves LEFT by 3 px, so the forward flow is dx = -3.
  at::Tensor a = photo->slice(1, 16, 112).slice(2, 10, 106);
  at::Tensor b = photo->slice(1, 16, 112).slice(2, 13, 109);
  at::Tensor flow = ns::media::computeFlow(a, b);
  QCOMPARE(flow.size(0), int64_t(2));
  at::Tensor inner = flow.slice(1, 16, 80).slice(2, 16, 80);
  const float dx = inner[0].median().item<float>(), dy = inner[1].median().item<float>();
  QVERIFY2(std::abs(dx + 3.0f) < 0.3f && std::abs(dy) < 0.3f,
           "median flow (" + std::to_string(dx) + ", " + std::to_string(dy) + ") should be (-3, 0)");
}

void TstFlowAndCutout::grabCutRecoversASyntheticObject() {
  // A textured orange disc on a textured blue-green background.
  const int H = 96, W = 96;
  at::Tensor yy = at::arange(H).to(at::kFloat).view({H, 1}).expand({H, W});
  at::Tensor xx = at::arange(W).to(at::kFloat).view({1, W}).expand({H, W});
  at::Tensor disc = ((xx - 50).pow(2) + (yy - 44).pow(2) < 20 * 20).to(at::kFloat);
  at::Generator gen = at::detail::createCPUGenerator(3);
  at::Tensor bg = at::stack({at::full({H, W}, -0.6f), at::full({H, W}, 0.1f), at::full({H, W}, 0.5f)}) +
                  0.08f * at::randn({3, H, W}, gen, at::TensorOptions());
  at::Tensor fg = at::stack({at::full({H, W}, 0.9f), at::full({H, W}, 0.3f), at::full({H, W}, -0.7f)}) +
                  0.08f * at::randn({3, H, W}, gen, at::TensorOptions());
  at::Tensor img = (disc * fg + (1 - disc) * bg).clamp(-1, 1);
  auto cut = ns::media::cutOutObject(img, ns::NormBox{24.f / W, 18.f / H, 76.f / W, 70.f / H});
  QVERIFY2(cut.ok(), cut.ok() ? "" : cut.error().message);
  const float inter = (cut->mask * disc).sum().item<float>();
  const float uni = ((cut->mask + disc) > 0).sum().item<float>();
  const float iouv = inter / uni;
  QVERIFY2(iouv >= 0.9f, "GrabCut mask IoU " + std::to_string(iouv));
  QCOMPARE(cut->sprite.size(0), int64_t(4));
  // The hole is filled with background colours: the disc's area no longer looks orange.
  const float redInHole = (cut->background[0] * disc).sum().item<float>() / disc.sum().item<float>();
  QVERIFY2(redInHole < 0.0f, "inpainted hole should take the background's red level, got " + std::to_string(redInHole));
}

void TstFlowAndCutout::cutOutRefusesDegenerateBoxes() {
  at::Tensor img = at::zeros({3, 32, 32});
  auto r = ns::media::cutOutObject(img, ns::NormBox{0.5f, 0.5f, 0.52f, 0.52f});
  QVERIFY(!r.ok());
  QVERIFY(r.error().message.find("too small") != std::string::npos);
}

NS_REGISTER_TEST(TstFlowAndCutout, disFlowRecoversAPan, grabCutRecoversASyntheticObject, cutOutRefusesDegenerateBoxes)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_flow_and_cutout.moc"
#endif
