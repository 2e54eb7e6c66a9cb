// Tests core/media against bad input (issue #10 item 2): truncated PNG/JPEG, zero-byte files,
// absurd header dimensions (refused from the header, before OpenCV allocates), the raisable limit
// (API, NS_MAX_IMAGE_PIXELS), and videos with no frames or no readable codec. Every error must be
// BadInput and name the file. The corrupt files are made here, in a temp folder.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/media/image_header.h"
#include "core/media/image_io.h"
#include "core/media/media_file.h"
#include "core/media/video_io.h"

namespace fs = std::filesystem;

namespace {

std::vector<char> readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeAll(const std::string& path, const std::vector<char>& bytes, size_t count) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(count));
}

void putBe32(std::vector<char>& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(char((v >> s) & 0xFF));
}

// A structurally complete PNG (signature, IHDR, one IDAT of junk, IEND; CRCs zero) whose header
// claims width x height. Decoding would need width*height*3 bytes.
std::vector<char> pngClaiming(uint32_t width, uint32_t height) {
  std::vector<char> b = {char(0x89), 'P', 'N', 'G', '\r', '\n', char(0x1A), '\n'};
  putBe32(b, 13);
  for (char c : std::string("IHDR")) b.push_back(c);
  putBe32(b, width);
  putBe32(b, height);
  b.insert(b.end(), {8, 2, 0, 0, 0});  // 8-bit RGB, deflate, no filter, no interlace
  putBe32(b, 0);                       // CRC (not checked by the probe)
  putBe32(b, 4);
  for (char c : std::string("IDAT")) b.push_back(c);
  b.insert(b.end(), {0x78, char(0x9C), 0, 0});
  putBe32(b, 0);
  putBe32(b, 0);
  for (char c : std::string("IEND")) b.push_back(c);
  putBe32(b, 0);
  return b;
}

// Peak resident memory of this process (VmHWM, kB).
long peakRssKb() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmHWM:") {
      long kb = 0;
      in >> kb;
      return kb;
    }
    in.ignore(1 << 12, '\n');
  }
  return -1;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

class TstCorruptMedia : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void cleanupTestCase();
  void probeReadsRealHeaders();
  void truncatedImagesAreRefused();
  void zeroByteFilesAreRefused();
  void absurdDimensionsRefusedBeforeDecoding();
  void limitCanBeRaised();
  void videosWithoutFramesOrCodecAreRefused();

 private:
  std::string tmp(const std::string& name) const { return (m_dir / name).string(); }
  fs::path m_dir;
};

void TstCorruptMedia::initTestCase() {
  m_dir = fs::temp_directory_path() / ("ns_tst_corrupt_" + std::to_string(::getpid()));
  fs::create_directories(m_dir);
}

void TstCorruptMedia::cleanupTestCase() {
  unsetenv("NS_MAX_IMAGE_PIXELS");
  unsetenv("NS_MAX_IMAGE_SIDE");
  ns::media::setDefaultImageLimits(0, 0);
  std::error_code ec;
  fs::remove_all(m_dir, ec);
}

void TstCorruptMedia::probeReadsRealHeaders() {
  auto png = ns::media::probeImageFile(nstest::dataDir() + "/coffee_96.png");
  QVERIFY2(png.ok(), png.ok() ? "" : png.error().message);
  QVERIFY(png->format == ns::media::ImageFormat::Png);
  QCOMPARE(png->width, int64_t(96));
  QCOMPARE(png->height, int64_t(96));
  QVERIFY(png->complete);
  auto jpg = ns::media::probeImageFile(nstest::dataDir() + "/hubble_128.jpg");
  QVERIFY2(jpg.ok(), jpg.ok() ? "" : jpg.error().message);
  QVERIFY(jpg->format == ns::media::ImageFormat::Jpeg);
  QCOMPARE(jpg->width, int64_t(128));
  QCOMPARE(jpg->height, int64_t(128));
  QVERIFY(jpg->complete);
  auto big = pngClaiming(100000, 70000);
  auto absurd = ns::media::probeImageBytes(reinterpret_cast<const unsigned char*>(big.data()), big.size(), "x.png");
  QVERIFY(absurd.ok());
  QCOMPARE(absurd->width, int64_t(100000));
  QCOMPARE(absurd->height, int64_t(70000));
  QVERIFY(absurd->complete);
}

void TstCorruptMedia::truncatedImagesAreRefused() {
  struct Case {
    std::string source, name;
  };
  for (const Case& c : {Case{"astronaut_128.png", "cut.png"}, Case{"hubble_128.jpg", "cut.jpg"}}) {
    const std::vector<char> whole = readAll(nstest::dataDir() + "/" + c.source);
    QVERIFY(whole.size() > 1000);
    // Cut inside the pixel data (60 %) and inside the header (20 bytes).
    for (size_t keep : {whole.size() * 6 / 10, size_t(20)}) {
      const std::string path = tmp(c.name);
      writeAll(path, whole, keep);
      for (bool rgba : {false, true}) {
        auto r = rgba ? ns::media::readImageRgba(path) : ns::media::readImage(path);
        QVERIFY2(!r.ok(), c.name + " cut to " + std::to_string(keep) + " bytes was accepted");
        QVERIFY(r.error().kind == ns::ErrorKind::BadInput);
        QVERIFY2(contains(r.error().message, path), r.error().message);
        QVERIFY2(contains(r.error().message, "truncated"), r.error().message);
      }
    }
    // The same bytes uncut still load: the check refuses truncation, not the format.
    writeAll(tmp(c.name), whole, whole.size());
    auto ok = ns::media::readImage(tmp(c.name));
    QVERIFY2(ok.ok(), ok.ok() ? "" : ok.error().message);
    QCOMPARE(ok->size(2), int64_t(128));
  }
}

void TstCorruptMedia::zeroByteFilesAreRefused() {
  for (const std::string name : {"zero.png", "zero.jpg", "zero.mp4", "zero.avi"}) {
    const std::string path = tmp(name);
    { std::ofstream(path, std::ios::trunc); }
    QCOMPARE(fs::file_size(path), uintmax_t(0));
    auto r = ns::media::loadMedia(path);
    QVERIFY2(!r.ok(), name + " (0 bytes) was accepted");
    QVERIFY(r.error().kind == ns::ErrorKind::BadInput);
    QVERIFY2(contains(r.error().message, path), r.error().message);
    QVERIFY2(contains(r.error().message, "empty"), r.error().message);
  }
}

void TstCorruptMedia::absurdDimensionsRefusedBeforeDecoding() {
  const std::string path = tmp("huge.png");
  const auto bytes = pngClaiming(100000, 100000);  // 10^10 px: 30 GB as 8-bit RGB
  writeAll(path, bytes, bytes.size());
  const long before = peakRssKb();
  auto r = ns::media::readImage(path);
  const long after = peakRssKb();
  QVERIFY(!r.ok());
  QVERIFY(r.error().kind == ns::ErrorKind::BadInput);
  const std::string& m = r.error().message;
  QVERIFY2(contains(m, path), m);
  QVERIFY2(contains(m, "100000x100000"), m);
  QVERIFY2(contains(m, "larger than the limit"), m);
  QVERIFY2(contains(m, "NS_MAX_IMAGE_PIXELS"), m);  // says how to raise it
  QVERIFY2(after - before < 64 * 1024, "reading the header grew peak memory by " + std::to_string(after - before) + " kB");

  // Under the side limit but over the pixel limit (16000 x 16000 = 256 MPixel > 100).
  const auto wide = pngClaiming(16000, 16000);
  writeAll(path, wide, wide.size());
  auto r2 = ns::media::readImageRgba(path);
  QVERIFY(!r2.ok());
  QVERIFY2(contains(r2.error().message, "16000x16000 (256 MPixel)"), r2.error().message);
}

void TstCorruptMedia::limitCanBeRaised() {
  const std::string photo = nstest::dataDir() + "/astronaut_128.png";  // 16384 px
  ns::media::ImageLimits small;
  small.maxPixels = 10000;
  auto refused = ns::media::readImage(photo, small);
  QVERIFY(!refused.ok());
  QVERIFY2(contains(refused.error().message, "128x128"), refused.error().message);
  small.maxPixels = 20000;
  QVERIFY(ns::media::readImage(photo, small).ok());

  // The environment lowers or raises the default...
  setenv("NS_MAX_IMAGE_PIXELS", "10000", 1);
  QCOMPARE(ns::media::defaultImageLimits().maxPixels, int64_t(10000));
  QVERIFY(!ns::media::readImage(photo).ok());
  QVERIFY(!ns::media::loadMedia(photo).ok());
  setenv("NS_MAX_IMAGE_SIDE", "100", 1);
  QCOMPARE(ns::media::defaultImageLimits().maxWidth, int64_t(100));
  // ...and the process-wide setting (the CLI flags) wins over the environment.
  ns::media::setDefaultImageLimits(200, 50000);
  QCOMPARE(ns::media::defaultImageLimits().maxPixels, int64_t(50000));
  QVERIFY(ns::media::readImage(photo).ok());
  ns::media::setDefaultImageLimits(0, 0);
  unsetenv("NS_MAX_IMAGE_PIXELS");
  unsetenv("NS_MAX_IMAGE_SIDE");
  QCOMPARE(ns::media::defaultImageLimits().maxPixels, int64_t(100'000'000));
  QCOMPARE(ns::media::defaultImageLimits().maxWidth, int64_t(16384));
  QVERIFY(ns::media::readImage(photo).ok());

  // Raised above an absurd header, OpenCV's own header check still refuses it cleanly.
  const auto bytes = pngClaiming(100000, 100000);
  writeAll(tmp("huge.png"), bytes, bytes.size());
  ns::media::ImageLimits huge{200000, 200000, int64_t(1) << 40};
  auto r = ns::media::readImage(tmp("huge.png"), huge);
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, tmp("huge.png")), r.error().message);
}

void TstCorruptMedia::videosWithoutFramesOrCodecAreRefused() {
  auto expectRefused = [this](const std::string& path, const char* why) {
    auto r = ns::media::loadMedia(path);
    QVERIFY2(!r.ok(), std::string(why) + ": accepted " + path);
    QVERIFY(r.error().kind == ns::ErrorKind::BadInput);
    QVERIFY2(contains(r.error().message, path), r.error().message);
  };
  // Garbage bytes in an .mp4: no container or codec FFmpeg can read.
  {
    std::vector<char> junk(4096);
    for (size_t i = 0; i < junk.size(); ++i) junk[i] = char((i * 2654435761u) >> 13);
    writeAll(tmp("garbage.mp4"), junk, junk.size());
    expectRefused(tmp("garbage.mp4"), "garbage mp4");
  }
  // An .avi with a valid header and no frames.
  {
    auto w = ns::media::writeVideo(tmp("empty.avi"), at::zeros({0, 3, 32, 32}), 8.0);
    QVERIFY2(w.ok(), w.ok() ? "" : w.error().message);
    QVERIFY(fs::file_size(tmp("empty.avi")) > 0);
    expectRefused(tmp("empty.avi"), "frameless avi");
  }
  // A real clip cut short: the mp4 index (moov, written last) is gone.
  {
    auto w = ns::media::writeVideo(tmp("whole.mp4"), at::rand({6, 3, 32, 32}).mul(2).sub(1), 8.0);
    QVERIFY2(w.ok(), w.ok() ? "" : w.error().message);
    QVERIFY(ns::media::loadMedia(tmp("whole.mp4")).ok());
    const auto whole = readAll(tmp("whole.mp4"));
    writeAll(tmp("cut.mp4"), whole, whole.size() / 2);
    expectRefused(tmp("cut.mp4"), "truncated mp4");
  }
  // An .avi cut in the middle of its frames: its header still promises 8. What decodes is kept,
  // in a tensor of exactly that many frames (readVideo sizes the clip by the header's count).
  at::Tensor clip;
  {
    // Frame i is grey -0.9 + 0.2 i plus a gentle ramp (content enough that frames, not the
    // header, fill the file; smooth enough that MJPG keeps it within a few levels).
    const at::Tensor level = at::arange(8, at::kFloat).mul(0.2).sub(0.9).view({8, 1, 1, 1});
    const at::Tensor ramp = at::linspace(-0.08, 0.08, 96, at::kFloat).view({1, 1, 1, 96});
    clip = (level + ramp).expand({8, 3, 96, 96}).contiguous();
    auto w = ns::media::writeVideo(tmp("long.avi"), clip, 8.0);
    QVERIFY2(w.ok(), w.ok() ? "" : w.error().message);
    // Cut where the 4th frame's chunk ("00dc", compressed video stream 0) starts: 3 whole frames.
    const auto bytes = readAll(tmp("long.avi"));
    std::vector<size_t> chunks;
    for (size_t i = 0; i + 4 <= bytes.size(); ++i)
      if (bytes[i] == '0' && bytes[i + 1] == '0' && bytes[i + 2] == 'd' && bytes[i + 3] == 'c') chunks.push_back(i);
    QVERIFY2(chunks.size() >= 8, std::to_string(chunks.size()) + " frame chunks found in the avi");
    writeAll(tmp("short.avi"), bytes, chunks[3]);
    auto r = ns::media::readVideo(tmp("short.avi"));
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
    const int64_t n = r->frames.size(0);
    // (FFmpeg may hold back the last whole packet of a cut file: here it returns 2.)
    QVERIFY2(n >= 1 && n <= 3, std::to_string(n) + " frames decoded from 3 whole ones");
    QCOMPARE(r->frames.sizes().vec(), (std::vector<int64_t>{n, 3, 96, 96}));
    QVERIFY(r->frames.is_contiguous());
    // The decoded frames are the first n of the clip, in order (neighbours differ by 0.2).
    const float err = (r->frames - clip.narrow(0, 0, n)).abs().max().item<float>();
    QVERIFY2(err < 0.05f, "max abs error " + std::to_string(err));
  }
  // The same .avi whose stream header (strh dwLength) announces only 3 frames: every frame FFmpeg
  // returns beyond those 3 is kept too, in order (here it returns 4).
  {
    auto bytes = readAll(tmp("long.avi"));
    size_t strh = 0;
    for (size_t i = 0; i + 12 <= bytes.size() && !strh; ++i)
      if (std::memcmp(&bytes[i], "strh", 4) == 0 && std::memcmp(&bytes[i + 8], "vids", 4) == 0) strh = i;
    QVERIFY2(strh > 0, "no video stream header in the avi");
    const size_t length = strh + 8 + 32;  // chunk id and size, then fccType .. dwStart
    uint32_t announced = 0;
    std::memcpy(&announced, &bytes[length], 4);
    QCOMPARE(announced, 8u);
    const uint32_t three = 3;
    std::memcpy(&bytes[length], &three, 4);
    writeAll(tmp("understated.avi"), bytes, bytes.size());
    auto r = ns::media::readVideo(tmp("understated.avi"));
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
    const int64_t n = r->frames.size(0);
    QVERIFY2(n > 3 && n <= 8, std::to_string(n) + " frames from a header announcing 3 of 8");
    const float err = (r->frames - clip.narrow(0, 0, n)).abs().max().item<float>();
    QVERIFY2(err < 0.05f, "max abs error " + std::to_string(err));
  }
  // An .avi whose frame data is junk after a real header (unreadable frames).
  {
    auto w = ns::media::writeVideo(tmp("real.avi"), at::rand({4, 3, 32, 32}).mul(2).sub(1), 8.0);
    QVERIFY(w.ok());
    auto bytes = readAll(tmp("real.avi"));
    for (size_t i = 256; i < bytes.size(); ++i) bytes[i] = char(0xA5 ^ (i & 0xFF));
    writeAll(tmp("junkframes.avi"), bytes, bytes.size());
    expectRefused(tmp("junkframes.avi"), "avi with junk frames");
  }
}

NS_REGISTER_TEST(TstCorruptMedia, initTestCase, probeReadsRealHeaders, truncatedImagesAreRefused,
                 zeroByteFilesAreRefused, absurdDimensionsRefusedBeforeDecoding, limitCanBeRaised,
                 videosWithoutFramesOrCodecAreRefused, cleanupTestCase)
#ifdef NS_HAVE_QTEST
#include "tst_corrupt_media.moc"
#endif
