// The window's edit mask and `edit --mask PNG` are one mask: a painted EditMask rasterised the
// way the window's re-render does it (ui/jobs/engine_jobs.cpp: rasterizeFrames at the canvas
// size -> maskFramesToBuffer) and the same mask written as a PNG and read the way the CLI reads
// it (media::readMaskImage -> maskFramesToBuffer) give the edit verb identical floats, so the
// edits are bit-identical; the CLI binary itself, run on that PNG, writes the same picture (8-bit,
// within one level where the last float bits round differently), and the unpainted pixels keep
// their values. With a tiny random built-in model folder.
#include "tests/support/torch_first.h"

#include "tests/support/ns_test.h"

#include "tests/app/cli_test_util.h"

#include <c10/core/InferenceMode.h>
#include <unistd.h>

#include <filesystem>

#include "core/engine/engine.h"
#include "core/engine/inverted_noise.h"
#include "core/media/image_io.h"
#include "core/media/mask_image.h"
#include "core/model/builtin_model.h"
#include "core/plan/edit_mask.h"
#include "core/util/frame_tensors.h"
#include "tests/core/model/tiny_model_folder.h"

namespace fs = std::filesystem;

namespace {
std::string tempRoot() { return (fs::temp_directory_path() / ("ns_tst_cli_edit_mask_" + std::to_string(::getpid()))).string(); }
using clitest::Run;
using clitest::runCli;
using clitest::q;

// A mask an artist might paint: a soft stroke down the left, a hard dab, an erased bite, feather.
ns::EditMask paintedMask() {
  ns::EditMask m;
  ns::MaskOp a;
  a.points = {{0.15f, 0.1f}, {0.2f, 0.5f}, {0.15f, 0.9f}};
  a.radius = 0.12f;
  a.hardness = 0.6f;
  ns::MaskOp b;
  b.points = {{0.7f, 0.3f}};
  b.radius = 0.1f;
  b.hardness = 1.f;
  ns::MaskOp e;
  e.kind = ns::MaskOpKind::Erase;
  e.points = {{0.2f, 0.5f}};
  e.radius = 0.05f;
  e.hardness = 0.9f;
  m.ops = {a, b, e};
  m.feather = 0.01f;
  return m;
}
}  // namespace

class TstCliEditMask : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void windowMaskEqualsCliMaskPng();
  void perFrameMaskEditsOnlyItsFrame();
  void cleanupTestCase() { fs::remove_all(tempRoot()); }

 private:
  std::string m_modelDir, m_noise;
  ns::ModelBundle m_model;
};

void TstCliEditMask::initTestCase() {
  fs::remove_all(tempRoot());
  m_modelDir = tempRoot() + "/model";
  nstest::writeTinyModelFolder(m_modelDir, 11);
  auto m = ns::loadBuiltinModel(m_modelDir);
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
  m_model = *m;
  m_noise = tempRoot() + "/astro.nsnoise";
  Run inv = runCli({"--model", q(m_modelDir), "invert", q(nstest::dataDir() + "/astronaut_64.png"), "--prompt",
                    "a white ball in the sky", "--steps", "8", "--cfg-src", "3.5", "-o", q(m_noise)});
  QVERIFY2(inv.code == 0, "invert exit " + std::to_string(inv.code) + ": " + inv.err + inv.out);
}

void TstCliEditMask::windowMaskEqualsCliMaskPng() {
  const ns::EditMask mask = paintedMask();
  const int size = m_model.pixelSize();  // the project's canvas: the model's size
  // The window's path (editJob) and the CLI's path (a PNG of the same mask).
  const ns::FrameBuffer windowMask = ns::maskFramesToBuffer(mask.rasterizeFrames(size, size, 1));
  const std::string png = tempRoot() + "/mask.png";
  QVERIFY(ns::media::writeMaskImage(png, mask.rasterizeFrames(size, size, 1)).ok());
  auto read = ns::media::readMaskImage(png);
  QVERIFY2(read.ok(), read.ok() ? "" : read.error().message);
  const ns::FrameBuffer cliMask = ns::maskFramesToBuffer(*read);
  QCOMPARE(cliMask.width, windowMask.width);
  QVERIFY(cliMask.data == windowMask.data);

  auto noise = ns::loadNoiseFile(m_noise);
  QVERIFY2(noise.ok(), noise.ok() ? "" : noise.error().message);
  ns::EditRequest req;
  req.noise = std::make_shared<const ns::InvertedNoise>(std::move(*noise));
  req.skip = 0;
  req.cfg = 3.5;
  req.colour = {0.6f, -0.3f, -0.3f};
  ns::JobContext ctx;
  req.mask = windowMask;
  auto viaWindow = ns::edit(m_model, req, ctx);
  QVERIFY2(viaWindow.ok(), viaWindow.ok() ? "" : viaWindow.error().message);
  req.mask = cliMask;
  auto viaPng = ns::edit(m_model, req, ctx);
  QVERIFY(viaPng.ok());
  QVERIFY(viaWindow->frames.data == viaPng->frames.data);  // bit for bit

  // The CLI binary on the PNG: its 8-bit output against ours written the same way.
  const std::string cliOut = tempRoot() + "/cli.png", ours = tempRoot() + "/ours.png";
  Run ed = runCli({"--model", q(m_modelDir), "edit", q(m_noise), "--skip", "0", "--cfg", "3.5", "--color", "0.6,-0.3,-0.3",
                   "--mask", q(png), "-o", q(cliOut)});
  QVERIFY2(ed.code == 0, "edit exit " + std::to_string(ed.code) + ": " + ed.err + ed.out);
  QVERIFY(ns::media::writeImage(ours, ns::framesToImages(viaWindow->frames)).ok());
  auto a = ns::media::readImage(cliOut);
  auto b = ns::media::readImage(ours);
  QVERIFY(a.ok() && b.ok());
  c10::InferenceMode guard;
  const at::Tensor levels = ((*a - *b) * 127.5).abs().round();
  const double maxLevels = levels.max().item<double>();
  const double differing = (levels > 0).to(at::kDouble).mean().item<double>();
  qInfo("CLI --mask PNG vs window mask: max %.0f level(s) apart, %.3f%% of values differ", maxLevels, 100 * differing);
  QVERIFY2(maxLevels <= 1 && differing < 0.01, "max " + std::to_string(maxLevels) + " levels, " +
                                                    std::to_string(100 * differing) + "% differ");
  // And the mask did limit the edit: against the same masked re-render without the colour, the
  // unpainted pixels (level 0) are unchanged and the painted ones (level 255) changed.
  ns::EditRequest plain = req;
  plain.colour = {0, 0, 0};
  auto unedited = ns::edit(m_model, plain, ctx);
  QVERIFY(unedited.ok());
  const at::Tensor change = (ns::framesToImages(viaWindow->frames) - ns::framesToImages(unedited->frames)).abs().amax(1)[0] / 2;
  const at::Tensor level = at::from_blob(const_cast<uint8_t*>(mask.rasterizeFrames(size, size, 1).data.data()), {size, size}, at::kByte).clone();
  const double outsideMax = change.masked_select(level == 0).max().item<double>();
  const double insideMean = change.masked_select(level == 255).mean().item<double>();
  qInfo("masked colour edit: painted pixels change by %.4f on average, unpainted ones by at most %.2g", insideMean, outsideMax);
  QVERIFY2(outsideMax < 1.0 / 255, std::to_string(outsideMax));
  QVERIFY2(insideMean > 10.0 / 255, std::to_string(insideMean));
}

void TstCliEditMask::perFrameMaskEditsOnlyItsFrame() {
  // A 3-frame clip (the photo, shifted by 4 px per frame) with a stroke on frame 1 only: the
  // colour edit changes frame 1 inside the stroke and leaves frames 0 and 2 exactly as the
  // re-render without the colour has them.
  auto photo = ns::media::readImage(nstest::dataDir() + "/astronaut_64.png");
  QVERIFY(photo.ok());
  at::Tensor clip;
  {
    c10::InferenceMode guard;
    clip = at::stack({*photo, at::roll(*photo, {4}, {2}), at::roll(*photo, {8}, {2})});
  }
  ns::InvertRequest inv;
  inv.source = ns::imagesToFrames(clip);
  inv.prompt = "a white ball in the sky";
  inv.steps = 6;
  inv.cfgSource = 3.5;
  ns::JobContext ctx;
  auto noise = ns::invert(m_model, inv, ctx);
  QVERIFY2(noise.ok(), noise.ok() ? "" : noise.error().message);
  QCOMPARE(noise->noise->frames(), 3);

  ns::EditMask mask;
  ns::MaskOp op;
  op.frame = 1;
  op.points = {{0.5f, 0.2f}, {0.5f, 0.8f}};
  op.radius = 0.15f;
  op.hardness = 1.f;
  mask.ops.push_back(op);
  const int size = m_model.pixelSize();
  const ns::MaskFrames frames = mask.rasterizeFrames(size, size, 3);  // what the window's re-render passes
  QCOMPARE(frames.count, 3);
  ns::EditRequest req;
  req.noise = noise->noise;
  req.skip = 0;
  req.cfg = 3.5;
  req.mask = ns::maskFramesToBuffer(frames);
  auto plain = ns::edit(m_model, req, ctx);
  QVERIFY2(plain.ok(), plain.ok() ? "" : plain.error().message);
  req.colour = {0.6f, -0.3f, -0.3f};
  auto coloured = ns::edit(m_model, req, ctx);
  QVERIFY(coloured.ok());
  c10::InferenceMode guard;
  const at::Tensor change = (ns::framesToImages(coloured->frames) - ns::framesToImages(plain->frames)).abs().amax(1) / 2;
  QCOMPARE(change.size(0), int64_t(3));
  const at::Tensor level = at::from_blob(const_cast<uint8_t*>(frames.frame(1)), {size, size}, at::kByte).clone();
  const double frame0 = change[0].max().item<double>(), frame2 = change[2].max().item<double>();
  const double inside = change[1].masked_select(level == 255).mean().item<double>();
  const double outside = change[1].masked_select(level == 0).max().item<double>();
  qInfo("per-frame mask: frame 1 inside %.4f, outside max %.2g; frames 0 and 2 max %.2g, %.2g", inside, outside, frame0, frame2);
  QVERIFY2(frame0 < 1.0 / 255 && frame2 < 1.0 / 255, std::to_string(frame0) + ", " + std::to_string(frame2));
  QVERIFY2(outside < 1.0 / 255, std::to_string(outside));
  QVERIFY2(inside > 10.0 / 255, std::to_string(inside));
}

NS_REGISTER_TEST(TstCliEditMask, initTestCase, windowMaskEqualsCliMaskPng, perFrameMaskEditsOnlyItsFrame, cleanupTestCase)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_cli_edit_mask.moc"
#endif
