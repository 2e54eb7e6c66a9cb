// Tests core/media's one door (issue 18 item 3): one extension list (media_kind.h) that says what
// is a picture and what a clip (.m4v a clip, as everywhere); one set of limits (media_limits.h),
// including the decoded-bytes cap for long clips; readImageFrames gives the window's dropped
// picture exactly the pixels readImage gives the cut-out; and the one frame writer
// (frame_writer.h) is all or nothing for pictures and sequences, from tensors and from
// FrameBuffers alike, with the same 8-bit values as before.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

#include "core/jobs/job_context.h"
#include "core/media/frame_writer.h"
#include "core/media/image_frames.h"
#include "core/media/image_header.h"
#include "core/media/image_io.h"
#include "core/media/media_file.h"
#include "core/media/media_kind.h"
#include "core/media/video_io.h"

namespace fs = std::filesystem;
using ns::media::MediaKind;

namespace {

fs::path tmpDir() {
  const fs::path d = fs::temp_directory_path() / ("ns_tst_media_door_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

std::string readBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool stagingLeft(const fs::path& dir) {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().rfind(".ns-export-", 0) == 0) return true;
  return false;
}

// Three 8x6 frames on the 8-bit grid: frame f has red = (40 f + x) / 255.
ns::FrameBuffer gridFrames(int count, float base = 0.f) {
  ns::FrameBuffer fb;
  fb.kind = ns::FrameKind::Image;
  fb.count = count, fb.channels = 3, fb.height = 6, fb.width = 8;
  fb.data.assign(size_t(count) * fb.frameSize(), 0.f);
  for (int f = 0; f < count; ++f)
    for (int y = 0; y < 6; ++y)
      for (int x = 0; x < 8; ++x) {
        fb.frame(f)[y * 8 + x] = std::min(1.f, base + float(40 * f + x) / 255.f);
        fb.frame(f)[48 + y * 8 + x] = float(y * 30) / 255.f;
      }
  return fb;
}

}  // namespace

class TstMediaDoor : public QObject {
  Q_OBJECT
 private slots:
  void cleanupTestCase() { fs::remove_all(tmpDir()); }
  void oneExtensionList();
  void loadMediaReadsM4vAndRefusesOthersByName();
  void hugeHeaderSidesAreRefusedWithoutOverflow();
  void longClipsHitTheDecodedBytesLimit();
  void droppedPictureHasTheCutOutsPixels();
  void sequenceWriteIsAllOrNothing();
  void pictureWriteFailureKeepsTheOldFile();
  void tensorAndBufferWriteTheSamePixels();
};

void TstMediaDoor::oneExtensionList() {
  const auto& images = ns::media::imageExtensions();
  const auto& videos = ns::media::videoExtensions();
  std::set<std::string> seen;
  for (const auto& e : images) {
    QCOMPARE(ns::media::classifyMediaPath("/x/photo" + e), MediaKind::Image);
    std::string upper = e;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    QCOMPARE(ns::media::classifyMediaPath("/x/PHOTO" + upper), MediaKind::Image);
    QVERIFY2(seen.insert(e).second, e.c_str());
  }
  for (const auto& e : videos) {
    QCOMPARE(ns::media::classifyMediaPath("clip" + e), MediaKind::Video);
    QVERIFY(ns::media::isVideoPath("clip" + e));  // video_io's test is the same list
    QVERIFY2(seen.insert(e).second, ("listed twice: " + e).c_str());
  }
  QVERIFY(ns::media::isVideoPath("holiday.M4V"));
  QCOMPARE(ns::media::classifyMediaPath("plan.nsproj"), MediaKind::Other);
  QCOMPARE(ns::media::classifyMediaPath("README"), MediaKind::Other);
  QCOMPARE(ns::media::classifyMediaPath("archive.png.zip"), MediaKind::Other);
  // The file dialogs' patterns are the same list.
  const std::string patterns = ns::media::mediaDialogPatterns();
  for (const auto& e : seen) QVERIFY2(patterns.find("*" + e) != std::string::npos, e.c_str());
}

void TstMediaDoor::loadMediaReadsM4vAndRefusesOthersByName() {
  const fs::path clip = tmpDir() / "clip.m4v";
  const at::Tensor frames = at::rand({4, 3, 32, 48}).mul(2).sub(1);
  QVERIFY(ns::media::writeVideo(clip.string(), frames, 8.0).ok());
  auto m = ns::media::loadMedia(clip.string());
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message.c_str());
  QVERIFY(m->isVideo);
  QCOMPARE(int(m->frames.size(0)), 4);
  QCOMPARE(int(m->frames.size(3)), 48);
  QCOMPARE(m->fps, 8.0);
  // A corrupt clip and a file of no known kind: refused, naming the file.
  const fs::path junk = tmpDir() / "junk.m4v";
  std::ofstream(junk) << "not a clip at all, just words";
  auto bad = ns::media::loadMedia(junk.string());
  QVERIFY(!bad.ok());
  QVERIFY2(bad.error().message.find(junk.string()) != std::string::npos, bad.error().message.c_str());
  auto other = ns::media::loadMedia((tmpDir() / "notes.txt").string());
  QVERIFY(!other.ok());
  QVERIFY2(other.error().message.find("notes.txt") != std::string::npos, other.error().message.c_str());
  // The CLI's --max-frames lowers the frame count of the same limits.
  auto capped = ns::media::loadMedia(clip.string(), 3);
  QVERIFY(!capped.ok());
  QVERIFY2(capped.error().message.find("more than 3 frames") != std::string::npos, capped.error().message.c_str());
}

void TstMediaDoor::hugeHeaderSidesAreRefusedWithoutOverflow() {
  // fuzz_media_door's first find: a PNG header of 4294967295 x 2487176775 made width * height
  // overflow int64 (undefined behaviour) in the size check. Refused, with its megapixels.
  ns::media::ImageLimits limits;
  auto r = ns::media::checkImageSize(4294967295LL, 2487176775LL, limits, "wide.png");
  QVERIFY(!r.ok());
  QVERIFY2(r.error().message.find("wide.png: the image is 4294967295x2487176775 (10682") != std::string::npos,
           r.error().message.c_str());
  // Within both sides but over the pixel count, and exactly at it.
  limits.maxPixels = 1000;
  QVERIFY(!ns::media::checkImageSize(50, 21, limits, "a.png").ok());
  QVERIFY(ns::media::checkImageSize(50, 20, limits, "a.png").ok());
  QVERIFY(ns::media::checkImageSize(1000, 1, limits, "a.png").ok());
}

void TstMediaDoor::longClipsHitTheDecodedBytesLimit() {
  const fs::path clip = tmpDir() / "long.avi";
  QVERIFY(ns::media::writeVideo(clip.string(), at::zeros({10, 3, 32, 32}), 8.0).ok());
  ns::media::MediaLimits limits = ns::media::defaultMediaLimits();
  QCOMPARE(limits.video.maxDecodedBytes, int64_t(4) << 30);
  const int64_t frameBytes = 3 * 32 * 32 * 4;
  limits.video.maxDecodedBytes = 6 * frameBytes;  // room for 6 of the 10 frames
  auto r = ns::media::loadMedia(clip.string(), limits);
  QVERIFY(!r.ok());
  QVERIFY2(r.error().message.find(clip.string()) != std::string::npos && r.error().message.find("decoding limit") != std::string::npos,
           r.error().message.c_str());
  limits.video.maxDecodedBytes = 10 * frameBytes;  // exactly fits
  auto ok = ns::media::loadMedia(clip.string(), limits);
  QVERIFY2(ok.ok(), ok.ok() ? "" : ok.error().message.c_str());
  QCOMPARE(int(ok->frames.size(0)), 10);
}

void TstMediaDoor::droppedPictureHasTheCutOutsPixels() {
  for (const char* name : {"astronaut_64.png", "hubble_128.jpg"}) {
    const std::string path = nstest::dataDir() + "/" + name;
    auto fb = ns::media::readImageFrames(path);
    auto t = ns::media::readImage(path);
    QVERIFY(fb.ok() && t.ok());
    QCOMPARE(fb->kind, ns::FrameKind::Image);
    QCOMPARE(fb->count, 1);
    QCOMPARE(fb->height, int(t->size(1)));
    QCOMPARE(fb->width, int(t->size(2)));
    // Both are the same 8-bit values: (t + 1) * 127.5 == fb * 255 exactly, pixel by pixel.
    const at::Tensor u8t = t->add(1).mul(127.5).round().to(at::kInt).contiguous();
    const int* a = u8t.data_ptr<int>();
    for (size_t i = 0; i < fb->data.size(); ++i) {
      const int b = int(std::lround(fb->data[i] * 255.f));
      if (a[i] != b) QFAIL(qPrintable(QString("%1: value %2 differs (%3 vs %4)").arg(name).arg(i).arg(a[i]).arg(b)));
      QCOMPARE(fb->data[i], float(b) / 255.f);
    }
  }
  // A corrupt picture is refused naming it, before anything is allocated.
  const fs::path cut = tmpDir() / "cut.png";
  const std::string png = readBytes(nstest::dataDir() + "/astronaut_64.png");
  std::ofstream(cut, std::ios::binary) << png.substr(0, png.size() / 2);
  auto bad = ns::media::readImageFrames(cut.string());
  QVERIFY(!bad.ok());
  QVERIFY2(bad.error().message.find(cut.string()) != std::string::npos && bad.error().message.find("truncated") != std::string::npos,
           bad.error().message.c_str());
}

void TstMediaDoor::sequenceWriteIsAllOrNothing() {
  const fs::path dir = tmpDir() / "seq";
  ns::media::FrameWriteOptions o;
  auto first = ns::media::writeFrames((dir / "frame.png").string(), gridFrames(3), o);
  QVERIFY2(first.ok(), first.ok() ? "" : first.error().message.c_str());
  QCOMPARE(int(first->size()), 3);
  QCOMPARE(fs::path(first->at(2)).filename().string(), std::string("frame_0002.png"));
  const std::string before0 = readBytes(dir / "frame_0000.png"), before1 = readBytes(dir / "frame_0001.png");
  // A fourth target taken by a folder: refused naming it; frames 0..2 keep their old bytes.
  fs::create_directories(dir / "frame_0003.png");
  auto blocked = ns::media::writeFrames((dir / "frame.png").string(), gridFrames(4, 0.2f), o);
  QVERIFY(!blocked.ok());
  QVERIFY2(blocked.error().message.find("frame_0003.png") != std::string::npos, blocked.error().message.c_str());
  QCOMPARE(readBytes(dir / "frame_0000.png"), before0);
  QVERIFY(!stagingLeft(dir));
  fs::remove(dir / "frame_0003.png");
  // Cancelled after the first frame: nothing replaced, nothing staged left behind.
  ns::JobContext ctx;
  ctx.setProgressCallback([&ctx](const ns::JobProgress& p) {
    if (p.step >= 1) ctx.cancel();
  });
  o.ctx = &ctx;
  auto cancelled = ns::media::writeFrames((dir / "frame.png").string(), gridFrames(3, 0.2f), o);
  QVERIFY(!cancelled.ok());
  QVERIFY(cancelled.error().kind == ns::ErrorKind::Cancelled);
  QCOMPARE(readBytes(dir / "frame_0000.png"), before0);
  QCOMPARE(readBytes(dir / "frame_0001.png"), before1);
  QVERIFY(!stagingLeft(dir));
  // Uncancelled it replaces them all, each PNG with its frame index in the metadata.
  o.ctx = nullptr;
  o.metadata = ns::media::recipeMetadata("{\"verb\":\"test\"}");
  auto done = ns::media::writeFrames((dir / "frame.png").string(), gridFrames(3, 0.2f), o);
  QVERIFY(done.ok());
  QVERIFY(readBytes(dir / "frame_0000.png") != before0);
  auto meta = ns::media::readResultMetadata((dir / "frame_0002.png").string());
  QVERIFY(meta.ok() && meta->metadata);
  QCOMPARE(meta->metadata->frame, 2);
  QVERIFY(!stagingLeft(dir));
}

void TstMediaDoor::pictureWriteFailureKeepsTheOldFile() {
  const fs::path dir = tmpDir() / "one";
  const fs::path out = dir / "still.png";
  QVERIFY(ns::media::writeFrames(out.string(), gridFrames(1)).ok());
  const std::string before = readBytes(out);
  // The new contents cannot be moved into place (a read-only folder): the old file stays whole.
  fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
  const bool enforced = ::access(dir.c_str(), W_OK) != 0;  // root ignores permissions
  auto r = ns::media::writeFrames(out.string(), gridFrames(1, 0.5f));
  fs::permissions(dir, fs::perms::owner_all);
  if (enforced) {
    QVERIFY(!r.ok());
    QVERIFY2(r.error().message.find(out.string()) != std::string::npos, r.error().message.c_str());
  }
  if (!r.ok()) QCOMPARE(readBytes(out), before);
  // An encoder that does not exist: refused before anything touches the disk.
  const fs::path odd = dir / "still.notanimage";
  std::ofstream(odd) << "old";
  auto bad = ns::media::writeFrames(odd.string(), gridFrames(1));
  QVERIFY(!bad.ok());
  QVERIFY2(bad.error().message.find(odd.string()) != std::string::npos, bad.error().message.c_str());
  QCOMPARE(readBytes(odd), std::string("old"));
  for (const auto& e : fs::directory_iterator(dir))
    QVERIFY2(e.path().filename().string().find(".tmp") == std::string::npos, e.path().c_str());
}

void TstMediaDoor::tensorAndBufferWriteTheSamePixels() {
  // The window (FrameBuffer in [0,1]) and the CLI (tensor in [-1,1]) write the same 8-bit values
  // for the same picture.
  const ns::FrameBuffer fb = gridFrames(2);
  const at::Tensor t =
      at::from_blob(const_cast<float*>(fb.data.data()), {2, 3, 6, 8}, at::kFloat).clone().mul(2).sub(1);
  const fs::path a = tmpDir() / "fromBuffer", b = tmpDir() / "fromTensor";
  QVERIFY(ns::media::writePictureSequence(a.string(), "f", ".png", fb).ok());
  QVERIFY(ns::media::writePictureSequence(b.string(), "f", ".png", t).ok());
  for (const char* name : {"f_0000.png", "f_0001.png"}) {
    auto x = ns::media::readImageFrames((a / name).string());
    auto y = ns::media::readImageFrames((b / name).string());
    QVERIFY(x.ok() && y.ok());
    QVERIFY2(x->data == y->data, name);
  }
  auto back = ns::media::readImageFrames((a / "f_0001.png").string());
  QVERIFY(back.ok());
  for (size_t i = 0; i < back->data.size(); ++i) QCOMPARE(back->data[i], fb.data[fb.frameSize() + i]);
}

NS_REGISTER_TEST(TstMediaDoor, cleanupTestCase, oneExtensionList, loadMediaReadsM4vAndRefusesOthersByName,
                 hugeHeaderSidesAreRefusedWithoutOverflow,
                 longClipsHitTheDecodedBytesLimit, droppedPictureHasTheCutOutsPixels, sequenceWriteIsAllOrNothing,
                 pictureWriteFailureKeepsTheOldFile, tensorAndBufferWriteTheSamePixels)
#ifdef NS_HAVE_QTEST
#include "tst_media_door.moc"
#endif
