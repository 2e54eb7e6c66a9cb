// Tests core/media/mask_image.h: a painted mask written as a PNG reads back with every 8-bit
// level exact (so `edit --mask PNG` sees the window's mask), a colour image becomes the mean of
// its channels, and a missing file or a missing frame is refused with the file's name.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>
#include <unistd.h>

#include <filesystem>

#include "core/media/image_io.h"
#include "core/media/mask_image.h"

namespace fs = std::filesystem;

namespace {
std::string tempRoot() { return (fs::temp_directory_path() / ("ns_tst_mask_image_" + std::to_string(::getpid()))).string(); }
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

class TstMaskImage : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { fs::create_directories(tempRoot()); }
  void cleanupTestCase() { fs::remove_all(tempRoot()); }
  void everyLevelSurvivesThePng();
  void paintedMaskSurvivesThePng();
  void colourImageIsChannelMean();
  void errorsNameTheFile();
};

void TstMaskImage::everyLevelSurvivesThePng() {
  ns::MaskFrames m;
  m.count = 2;
  m.height = 16;
  m.width = 24;
  for (int f = 0; f < 2; ++f)
    for (int i = 0; i < 16 * 24; ++i) m.data.push_back(uint8_t((i * 7 + f * 100) % 256));
  const std::string path = tempRoot() + "/levels.png";
  for (int f = 0; f < 2; ++f) {
    auto w = ns::media::writeMaskImage(path, m, f);
    QVERIFY2(w.ok(), w.ok() ? "" : w.error().message);
    auto r = ns::media::readMaskImage(path);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
    QCOMPARE(r->count, 1);
    QCOMPARE(r->width, 24);
    QCOMPARE(r->height, 16);
    QVERIFY(std::equal(r->data.begin(), r->data.end(), m.frame(f)));
  }
}

void TstMaskImage::paintedMaskSurvivesThePng() {
  ns::EditMask mask;
  ns::MaskOp op;
  op.points = {{0.2f, 0.3f}, {0.7f, 0.6f}};
  op.radius = 0.12f;
  op.hardness = 0.3f;
  mask.ops.push_back(op);
  mask.feather = 0.02f;
  const ns::MaskFrames m = mask.rasterizeFrames(64, 48, 1);
  const std::string path = tempRoot() + "/painted.png";
  QVERIFY(ns::media::writeMaskImage(path, m).ok());
  auto r = ns::media::readMaskImage(path);
  QVERIFY(r.ok());
  QVERIFY(r->data == m.data);
  // The edit's input is then identical float for float.
  QVERIFY(ns::maskFramesToBuffer(*r).data == ns::maskFramesToBuffer(m).data);
}

void TstMaskImage::colourImageIsChannelMean() {
  // R = 255, G = 0, B = 51 -> mean 102.
  at::Tensor img = at::empty({3, 4, 4});
  img[0].fill_(1.0);
  img[1].fill_(-1.0);
  img[2].fill_(51 / 127.5 - 1.0);
  const std::string path = tempRoot() + "/colour.png";
  QVERIFY(ns::media::writeImage(path, img).ok());
  auto r = ns::media::readMaskImage(path);
  QVERIFY(r.ok());
  for (uint8_t v : r->data) QCOMPARE(int(v), 102);
}

void TstMaskImage::errorsNameTheFile() {
  const std::string missing = tempRoot() + "/no_such_mask.png";
  auto r = ns::media::readMaskImage(missing);
  QVERIFY(!r.ok());
  QVERIFY2(has(r.error().message, "no_such_mask.png"), r.error().message);
  ns::MaskFrames empty;
  auto w = ns::media::writeMaskImage(tempRoot() + "/none.png", empty, 0);
  QVERIFY(!w.ok());
  QVERIFY2(has(w.error().message, "none.png") && has(w.error().message, "no mask frame 0"), w.error().message);
  QVERIFY(!fs::exists(tempRoot() + "/none.png"));
}

NS_REGISTER_TEST(TstMaskImage, initTestCase, everyLevelSurvivesThePng, paintedMaskSurvivesThePng,
                 colourImageIsChannelMean, errorsNameTheFile, cleanupTestCase)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_mask_image.moc"
#endif
