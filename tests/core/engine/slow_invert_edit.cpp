// Slow: invert/edit with the SHIPPED built-in model (resources/models/builtin) at the CLI's
// defaults (100 steps, cfg-src 3.5, eta 1): a scene image and a 16-frame clip with a known pan are
// reconstructed with skip 0 (latent < 1e-4, decoded ≥ 50 dB vs decode(encode)); the pan survives;
// and an edit with a new prompt at the default skip 36 / cfg 15 changes the image while keeping its
// layout.
// Skips (with the reason) while resources/models/builtin has no model.json.
#include "tests/support/ns_test.h"

#include <c10/core/InferenceMode.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "core/engine/engine.h"
#include "core/model/builtin_model.h"
#include "core/util/frame_tensors.h"
#include "tests/core/engine/invert_edit_checks.h"

namespace {

// A 96×96 picture: sky gradient over a green ground, a red ball and a yellow box; its
// 64-px windows panned 2 px/frame give the clip.
at::Tensor scene96() {
  const int S = 96;
  at::Tensor img = at::zeros({3, S, S});
  auto a = img.accessor<float, 3>();
  for (int y = 0; y < S; ++y)
    for (int x = 0; x < S; ++x) {
      float r = 0.4f, g = 0.6f, b = 0.95f - 0.3f * float(y) / S;
      if (y > 60) r = 0.2f, g = 0.6f + 0.1f * float((x / 3) % 2), b = 0.2f;
      if ((x - 40) * (x - 40) + (y - 50) * (y - 50) < 12 * 12) r = 0.9f, g = 0.15f, b = 0.1f;
      if (x >= 62 && x < 80 && y >= 44 && y < 64) r = 0.95f, g = 0.85f, b = 0.1f;
      a[0][y][x] = r * 2 - 1;
      a[1][y][x] = g * 2 - 1;
      a[2][y][x] = b * 2 - 1;
    }
  return img;
}

}  // namespace

class SlowInvertEdit : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void shippedModelReconstructsImageAndClip();
  void shippedModelPromptEdit();

 private:
  ns::ModelBundle m_model;
  bool m_have = false;
};

void SlowInvertEdit::initTestCase() {
  const std::string dir = ns::findBuiltinModelDir();
  if (dir.empty()) QSKIP("no shipped built-in model: resources/models/builtin has no model.json yet");
  auto m = ns::loadBuiltinModel(dir);
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
  m_model = *m;
  m_have = true;
}

void SlowInvertEdit::shippedModelReconstructsImageAndClip() {
  if (!m_have) QSKIP("no shipped built-in model");
  const at::Tensor photo = scene96();
  for (int frames : {1, 16}) {
    ns::InvertRequest req;
    req.source = ns::imagesToFrames(frames == 1 ? photo.unsqueeze(0) : nstest::panClip(photo, 16, 64, 2, 0, 0, 16));
    req.prompt = "a red ball and a yellow box on grass";
    req.seed = 1;
    ns::JobContext ctx;
    const auto t0 = std::chrono::steady_clock::now();
    auto inv = ns::invert(m_model, req, ctx);
    QVERIFY2(inv.ok(), inv.ok() ? "" : inv.error().message);
    ns::EditRequest e;
    e.noise = inv->noise;
    e.skip = 0;
    e.cfg = req.cfgSource;
    auto out = ns::edit(m_model, e, ctx);
    QVERIFY2(out.ok(), out.ok() ? "" : out.error().message);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    at::Tensor ref;
    {
      c10::InferenceMode guard;
      ref = (m_model.codec->decode(m_model.codec->encode(ns::framesToImages(inv->fittedSource))) + 1) / 2;
    }
    const at::Tensor got = nstest::framesTensor(out->frames);
    double worst = 1e9;
    for (int f = 0; f < frames; ++f) worst = std::min(worst, nstest::psnr01(got[f], ref[f]));
    qInfo("%d frame(s): invert+edit 100 steps in %.1f s, worst PSNR %.1f dB", frames, s, worst);
    QVERIFY2(worst >= 50.0, std::to_string(frames) + " frame(s): worst decoded PSNR " + std::to_string(worst) + " dB");
    if (frames == 16) {
      double score = 0;
      const auto peak = nstest::correlationPeak(got[0], got[8], 20, &score);
      QVERIFY2(peak.first == -16 && peak.second == 0, "pan 0 -> 8 measured (" + std::to_string(peak.first) + ", " +
                                                          std::to_string(peak.second) + "), want (-16, 0)");
    }
  }
}

void SlowInvertEdit::shippedModelPromptEdit() {
  if (!m_have) QSKIP("no shipped built-in model");
  ns::InvertRequest req;
  req.source = ns::imagesToFrames(scene96().unsqueeze(0));
  req.prompt = "a red ball and a yellow box on grass";
  ns::JobContext ctx;
  auto inv = ns::invert(m_model, req, ctx);
  QVERIFY2(inv.ok(), inv.ok() ? "" : inv.error().message);
  ns::EditRequest e;
  e.noise = inv->noise;
  e.skip = 0;
  e.cfg = req.cfgSource;
  auto base = ns::edit(m_model, e, ctx);
  QVERIFY2(base.ok(), base.ok() ? "" : base.error().message);
  double score = 0;
  // (The shift edit is checked on a real photo in tests/app/tst_cli_invert.cpp, where the peak is
  // exact. On this flat synthetic scene it was not: a (3,-2) latent shift gave a peak at (-16, 3) px,
  // correlation 0.68, instead of (12,-8); why is not yet understood.)
  // A prompt edit at the defaults (skip 36, cfg 15) changes the picture but keeps its layout.
  ns::EditRequest p;
  p.noise = inv->noise;
  p.prompt = "a blue ball and a yellow box on grass";
  auto edited = ns::edit(m_model, p, ctx);
  QVERIFY2(edited.ok(), edited.ok() ? "" : edited.error().message);
  const at::Tensor a = nstest::framesTensor(base->frames)[0], b = nstest::framesTensor(edited->frames)[0];
  const double psnr = nstest::psnr01(a, b);
  const auto keep = nstest::correlationPeak(a, b, 8, &score);
  qInfo("prompt edit: PSNR vs reconstruction %.1f dB, layout correlation %.2f at (%d,%d)", psnr, score, keep.first,
        keep.second);
  QVERIFY2(psnr < 40.0, "the new prompt changed nothing: PSNR " + std::to_string(psnr) + " dB");
  // "Keeps its layout": the repainted picture still lines up with the source within 3 px (5 % of
  // the frame); measured: peak at (2, 1) px, correlation 0.70, while PSNR 13 dB says it changed.
  QVERIFY2(std::abs(keep.first) <= 3 && std::abs(keep.second) <= 3 && score > 0.5,
           "layout moved or was lost: peak (" + std::to_string(keep.first) + ", " + std::to_string(keep.second) +
               ") score " + std::to_string(score));
}

NS_REGISTER_TEST(SlowInvertEdit, initTestCase, shippedModelReconstructsImageAndClip, shippedModelPromptEdit)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "slow_invert_edit.moc"
#endif
