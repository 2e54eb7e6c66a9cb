// Tests core/media: image and video read/write, the cover-fit policy, and errors that name the file.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>

#include "core/media/fit.h"
#include "core/media/image_io.h"
#include "core/media/media_file.h"
#include "core/media/video_io.h"

namespace fs = std::filesystem;

class TstMediaIo : public QObject {
  Q_OBJECT
 private slots:
  void imageRoundTripIsExact();
  void realPhotoLoads();
  void badImagesAreRefusedWithTheirName();
  void videoRoundTripKeepsFramesAndFps();
  void losslessVideoIsExact();
  void badVideosAreRefused();
  void fitCoverCropsCentre();

 private:
  fs::path tmp(const std::string& name) {
    const fs::path d = fs::temp_directory_path() / "ns_tst_media";
    fs::create_directories(d);
    return d / name;
  }
};

void TstMediaIo::imageRoundTripIsExact() {
  // Values on the 8-bit grid survive PNG exactly.
  at::Tensor img = at::randint(0, 256, {3, 17, 23}).to(at::kFloat).div(127.5).sub(1.0);
  const auto p = tmp("rt.png").string();
  QVERIFY(ns::media::writeImage(p, img).ok());
  auto back = ns::media::readImage(p);
  QVERIFY2(back.ok(), back.ok() ? "" : back.error().message);
  QCOMPARE(back->size(1), int64_t(17));
  QVERIFY2(at::allclose(*back, img, 0, 1e-5), "PNG round trip changed pixels");
}

void TstMediaIo::realPhotoLoads() {
  auto img = ns::media::readImage(nstest::dataDir() + "/astronaut_128.png");
  QVERIFY(img.ok());
  QCOMPARE(img->size(0), int64_t(3));
  QCOMPARE(img->size(1), int64_t(128));
  QVERIFY(img->min().item<float>() >= -1.0f && img->max().item<float>() <= 1.0f);
  QVERIFY2(img->std().item<float>() > 0.2f, "a photo has contrast");
}

void TstMediaIo::badImagesAreRefusedWithTheirName() {
  const auto missing = tmp("missing.png").string();
  auto r1 = ns::media::readImage(missing);
  QVERIFY(!r1.ok());
  QVERIFY(r1.error().message.find("missing.png") != std::string::npos);
  QVERIFY(r1.error().kind == ns::ErrorKind::BadInput);
  const auto empty = tmp("empty.png").string();
  { std::ofstream(empty, std::ios::trunc); }
  auto r2 = ns::media::readImage(empty);
  QVERIFY(!r2.ok());
  QVERIFY(r2.error().message.find("empty") != std::string::npos);
  // A truncated PNG: the first 100 bytes of a real one.
  const auto trunc = tmp("trunc.png").string();
  {
    std::ifstream in(nstest::dataDir() + "/astronaut_128.png", std::ios::binary);
    std::vector<char> buf(100);
    in.read(buf.data(), 100);
    std::ofstream(trunc, std::ios::binary).write(buf.data(), 100);
  }
  auto r3 = ns::media::readImage(trunc);
  QVERIFY(!r3.ok());
  QVERIFY(r3.error().message.find("trunc.png") != std::string::npos);
  // Absurd size limit refuses before keeping the pixels.
  ns::media::ImageLimits tiny;
  tiny.maxWidth = 64;
  auto r4 = ns::media::readImage(nstest::dataDir() + "/astronaut_128.png", tiny);
  QVERIFY(!r4.ok());
  QVERIFY(r4.error().message.find("larger than the limit") != std::string::npos);
}

void TstMediaIo::videoRoundTripKeepsFramesAndFps() {
  // A camera pan over the photo: 8 frames of 64x64 windows moving 4 px right each frame.
  auto photo = ns::media::readImage(nstest::dataDir() + "/astronaut_128.png");
  QVERIFY(photo.ok());
  std::vector<at::Tensor> frames;
  for (int i = 0; i < 8; ++i) frames.push_back(photo->slice(1, 32, 96).slice(2, 4 * i, 4 * i + 64));
  at::Tensor clip = at::stack(frames);
  const auto p = tmp("pan.mp4").string();
  auto w = ns::media::writeVideo(p, clip, 12.0);
  QVERIFY2(w.ok(), w.ok() ? "" : w.error().message);
  auto r = ns::media::readVideo(p);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  QCOMPARE(r->frames.size(0), int64_t(8));
  QCOMPARE(r->frames.size(3), int64_t(64));
  QVERIFY2(std::abs(r->fps - 12.0) < 0.01, std::to_string(r->fps));
  const float err = (r->frames - clip).abs().mean().item<float>();
  QVERIFY2(err < 0.08f, "mp4v is lossy but close: mean abs error " + std::to_string(err));
}

void TstMediaIo::losslessVideoIsExact() {
  at::Tensor clip = at::randint(0, 256, {3, 3, 32, 32}).to(at::kFloat).div(127.5).sub(1.0);
  const auto p = tmp("lossless.mkv").string();
  auto w = ns::media::writeVideo(p, clip, 8.0);
  if (!w.ok()) QSKIP("this OpenCV/FFmpeg build has no FFV1 writer");
  auto r = ns::media::loadMedia(p);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  QVERIFY(r->isVideo);
  // FFV1 stores YUV/RGB losslessly only for RGB input formats; allow tiny colour conversion error.
  const float err = (r->frames - clip).abs().max().item<float>();
  QVERIFY2(err < 0.05f, "lossless video max error " + std::to_string(err));
}

void TstMediaIo::badVideosAreRefused() {
  const auto junk = tmp("junk.mp4").string();
  { std::ofstream(junk, std::ios::binary) << "this is not a video at all, just text"; }
  auto r = ns::media::readVideo(junk);
  QVERIFY(!r.ok());
  QVERIFY(r.error().message.find("junk.mp4") != std::string::npos);
  auto bad = ns::media::writeVideo(tmp("x.xyz").string(), at::zeros({1, 3, 8, 8}), 8);
  QVERIFY(!bad.ok());
  QVERIFY(bad.error().message.find(".xyz") != std::string::npos);
}

void TstMediaIo::fitCoverCropsCentre() {
  // A 2:1 image whose left and right quarters are -1 and the middle +1: covering a square keeps the middle.
  at::Tensor img = at::full({3, 16, 32}, -1.0f);
  img.slice(2, 8, 24).fill_(1.0f);
  at::Tensor out = ns::media::fitCover(img, 16, 16);
  QCOMPARE(out.size(1), int64_t(16));
  QCOMPARE(out.size(2), int64_t(16));
  QVERIFY2(out.min().item<float>() > 0.99f, "the centre crop holds only the middle band");
  at::Tensor clip = ns::media::fitCover(at::zeros({4, 3, 40, 30}), 8, 8);
  QCOMPARE(clip.size(0), int64_t(4));
  QCOMPARE(clip.size(2), int64_t(8));
}

NS_REGISTER_TEST(TstMediaIo, imageRoundTripIsExact, realPhotoLoads, badImagesAreRefusedWithTheirName,
                 videoRoundTripKeepsFramesAndFps, losslessVideoIsExact, badVideosAreRefused, fitCoverCropsCentre)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_media_io.moc"
#endif
