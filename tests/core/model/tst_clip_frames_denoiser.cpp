// ClipFramesDenoiser (core/model/clip_frames_denoiser.h, issue 16 item 4): a video model seen by
// the samplers as an image model over frame batches, on the tiny SD UNet of tests/data/sd with the
// tiny v3 motion module of tests/data/motion (24-frame position table):
//   - frames [k·F,C,h,w] give bit for bit the video model's output on the 5-D clips;
//   - a CFG batch [uncond clip; cond clip] through GuidedPredictor is u + w·(c − u) of the two
//     clips denoised on their own; frames are denoised jointly (frame 0 changes frame 3);
//   - a clip whose frames have different timesteps or prompts is refused, as are partial clips;
//   - framesDenoiserFor: image model unchanged, short clip plain, long clip through context windows
//     (bitwise the WindowedVideoDenoiser on the 5-D clip); framesPerModelCall's counts.
#include "tests/support/ns_test.h"

#include <string>

#include "core/diffusion/guided_predictor.h"
#include "core/model/clip_frames_denoiser.h"
#include "core/model/safetensors.h"
#include "core/model/sd/sd_model.h"
#include "core/model/sd/sd_video_denoiser.h"
#include "core/model/sd/windowed_video_denoiser.h"

namespace {

std::string motionData(const std::string& name) { return nstest::dataDir() + "/motion/" + name; }
std::string sdData(const std::string& name) { return nstest::dataDir() + "/sd/" + name; }

std::shared_ptr<ns::Denoiser> loadTiny(const std::string& module) {
  ns::sd::SdLoadOptions o;
  o.unetHeads.heads = 2;  // tests/data/sd/sd_tiny_configs.json
  o.textHeads = 2;
  o.tokenizerDir = sdData("tokenizer_tiny");
  o.motionModule = module;
  auto m = ns::sd::loadSdModel(sdData("sd1_tiny.safetensors"), o);
  if (!m.ok()) throw std::runtime_error(m.error().message);
  auto bundle = ns::sd::toModelBundle(*m);
  if (!bundle.ok()) throw std::runtime_error(bundle.error().message);
  return bundle->denoiser;
}

struct Inputs {
  at::Tensor x, t, context;  // x [2,4,6,8,8] (2 clips of 6 frames), t [2], context [2,77,32]
};
Inputs fixtureInputs() {
  auto in = ns::readSafetensors(motionData("motion_inputs.safetensors"));
  if (!in.ok()) throw std::runtime_error(in.error().message);
  return {in->tensors.at("unet.x"), in->tensors.at("unet.t"), in->tensors.at("unet.context")};
}

// [k,C,F,h,w] -> [k·F,C,h,w] (clip-major frames) and back.
at::Tensor toFrames(const at::Tensor& clips) {
  return clips.transpose(1, 2).reshape({-1, clips.size(1), clips.size(3), clips.size(4)}).contiguous();
}

template <typename F>
bool refuses(F&& f, const std::string& needle) {
  try {
    f();
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    if (msg.find(needle) != std::string::npos) return true;
    qWarning("refused with an unexpected message: %s", msg.c_str());
    return false;
  }
  return false;
}

}  // namespace

class TstClipFramesDenoiser : public QObject {
  Q_OBJECT
 private slots:
  void framesAreBitwiseTheClipCall();
  void guidedBatchesAndJointFrames();
  void mixedClipsAndPartialClipsRefused();
  void framesDenoiserForChoosesPlainOrWindows();
};

void TstClipFramesDenoiser::framesAreBitwiseTheClipCall() {
  auto video = loadTiny(motionData("mm_tiny_v3.safetensors"));
  const Inputs in = fixtureInputs();
  ns::ClipFramesDenoiser frames(video, 6);
  QVERIFY(!frames.info().isVideo);
  QCOMPARE(frames.info().id, video->info().id);
  const at::Tensor ref = video->predict(in.x, in.t, ns::Conditioning{in.context});  // [2,4,6,8,8]
  // Per-row t and context (what GuidedPredictor passes): 12 rows, 6 per clip.
  const at::Tensor out = frames.predict(toFrames(in.x), in.t.repeat_interleave(6),
                                        ns::Conditioning{in.context.repeat_interleave(6, 0)});
  QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{12, 4, 8, 8}));
  QVERIFY(at::equal(out, toFrames(ref)));
  // One clip with t and context given once (broadcast).
  const at::Tensor one = frames.predict(toFrames(in.x.narrow(0, 1, 1)), in.t.narrow(0, 1, 1),
                                        ns::Conditioning{in.context.narrow(0, 1, 1)});
  QVERIFY(at::equal(one, toFrames(video->predict(in.x.narrow(0, 1, 1), in.t.narrow(0, 1, 1),
                                                 ns::Conditioning{in.context.narrow(0, 1, 1)}))));
  // The fixture's clips really differ from frame-by-frame images: the video model on the 4-D
  // batch (F one-frame clips) is not the joint result.
  const at::Tensor perFrame = video->predict(toFrames(in.x), in.t.repeat_interleave(6),
                                             ns::Conditioning{in.context.repeat_interleave(6, 0)});
  QVERIFY((perFrame - out).abs().max().item<double>() > 1e-3);
}

void TstClipFramesDenoiser::guidedBatchesAndJointFrames() {
  auto video = loadTiny(motionData("mm_tiny_v3.safetensors"));
  const Inputs in = fixtureInputs();
  ns::ClipFramesDenoiser frames(video, 6);
  const at::Tensor clip = in.x.narrow(0, 0, 1);  // [1,4,6,8,8]
  const ns::Conditioning uncond{in.context.narrow(0, 0, 1)}, cond{in.context.narrow(0, 1, 1)};
  auto g = ns::GuidedPredictor::create(frames, cond, uncond, ns::Guidance{3.0, {}, 0.0}, 6);
  QVERIFY(g.ok());
  QVERIFY(g->usesGuidance());
  const at::Tensor guided = g->guidedOutput(toFrames(clip), 500);
  QCOMPARE(g->modelCalls(), int64_t(1));  // one call on [uncond clip; cond clip]
  const at::Tensor t = at::full({1}, 500, at::kLong);
  const at::Tensor u = toFrames(video->predict(clip, t, uncond)), c = toFrames(video->predict(clip, t, cond));
  const at::Tensor expect = u + 3.0 * (c - u);
  const double err = (guided - expect).abs().max().item<double>() / expect.abs().max().item<double>();
  QVERIFY2(err < 1e-5, "guided vs separate clips: rel err " + std::to_string(err));
  // Joint: changing frame 0 of the clip changes the prediction of frame 3 ...
  at::Tensor changed = clip.clone();
  changed.select(2, 0).add_(1.0);
  const at::Tensor t6 = at::full({6}, 500, at::kLong);
  const ns::Conditioning cond6{cond.context.repeat_interleave(6, 0)};
  const at::Tensor a = frames.predict(toFrames(clip), t6, cond6), b = frames.predict(toFrames(changed), t6, cond6);
  const double frame3 = (a[3] - b[3]).abs().max().item<double>();
  QVERIFY2(frame3 > 1e-4, "frame 3 moved by " + std::to_string(frame3));
  // ... which the video model on frames as separate one-frame clips does not do.
  const at::Tensor pa = video->predict(toFrames(clip), t6, cond6), pb = video->predict(toFrames(changed), t6, cond6);
  QCOMPARE((pa[3] - pb[3]).abs().max().item<double>(), 0.0);
}

void TstClipFramesDenoiser::mixedClipsAndPartialClipsRefused() {
  auto video = loadTiny(motionData("mm_tiny_v3.safetensors"));
  const Inputs in = fixtureInputs();
  ns::ClipFramesDenoiser frames(video, 6);
  const at::Tensor x = toFrames(in.x);  // 12 rows = 2 clips
  const ns::Conditioning ctx{in.context.repeat_interleave(6, 0)};
  at::Tensor t = at::full({12}, 500, at::kLong);
  t[8] = 499;  // clip 1, frame 2
  QVERIFY(refuses([&] { frames.predict(x, t, ctx); }, "frames of clip 1 have different timestep"));
  at::Tensor mixed = ctx.context.clone();
  mixed[2] = in.context[1];  // clip 0 frame 2 gets clip 1's prompt
  QVERIFY(refuses([&] { frames.predict(x, at::full({12}, 500, at::kLong), ns::Conditioning{mixed}); },
                  "frames of clip 0 have different conditioning"));
  QVERIFY(refuses([&] { frames.predict(x.narrow(0, 0, 9), at::full({9}, 500, at::kLong), ns::Conditioning{in.context.narrow(0, 0, 1)}); },
                  "not a whole number of clips of 6 frames"));
  QVERIFY(refuses([&] { frames.predict(x, at::full({5}, 500, at::kLong), ctx); }, "timestep has 5 rows"));
  QVERIFY(refuses([&] { frames.predict(in.x, in.t, ns::Conditioning{in.context}); }, "x_t must be frames"));
  auto image = loadTiny("");
  QVERIFY(refuses([&] { ns::ClipFramesDenoiser bad(image, 6); }, "is not a video model"));
  QVERIFY(refuses([&] { ns::ClipFramesDenoiser bad(video, 0); }, "at least one frame"));
}

void TstClipFramesDenoiser::framesDenoiserForChoosesPlainOrWindows() {
  auto video = loadTiny(motionData("mm_tiny_v3.safetensors"));
  auto image = loadTiny("");
  const Inputs in = fixtureInputs();
  ns::ContextWindowOptions w;
  w.length = 4;
  w.overlap = 2;
  // An image model is returned as it is.
  QVERIFY(ns::framesDenoiserFor(image, 6, w).get() == image.get());
  QCOMPARE(ns::framesPerModelCall(*image, 6, w), int64_t(1));
  // A clip that fits in a window: the plain model under the adapter.
  auto shortClip = std::dynamic_pointer_cast<ns::ClipFramesDenoiser>(ns::framesDenoiserFor(video, 4, w));
  QVERIFY(shortClip && shortClip->video().get() == video.get());
  QCOMPARE(ns::framesPerModelCall(*video, 4, w), int64_t(4));
  // Longer: through context windows, bit for bit the windowed model on the 5-D clip.
  for (auto fusion : {ns::WindowFusion::FreeNoise, ns::WindowFusion::Average}) {
    auto longClip = std::dynamic_pointer_cast<ns::ClipFramesDenoiser>(ns::framesDenoiserFor(video, 6, w, fusion));
    QVERIFY(longClip);
    auto windowed = std::dynamic_pointer_cast<ns::sd::WindowedVideoDenoiser>(longClip->video());
    QVERIFY(windowed && windowed->fusion() == fusion && windowed->options().length == 4);
    const at::Tensor clip = in.x.narrow(0, 0, 1);
    const ns::Conditioning cond{in.context.narrow(0, 0, 1)};
    const at::Tensor ref = windowed->predict(clip, in.t.narrow(0, 0, 1), cond);
    QVERIFY(at::equal(longClip->predict(toFrames(clip), in.t.narrow(0, 0, 1), cond), toFrames(ref)));
    // Windows of 4 with overlap 2 over 6 frames: starts 0, 2 (the last ends at frame 5): 2 windows.
    QCOMPARE(ns::framesPerModelCall(*video, 6, w, fusion), fusion == ns::WindowFusion::FreeNoise ? int64_t(8) : int64_t(4));
  }
  // A window longer than the module's 24-frame position table is refused when the adapter is made.
  ns::ContextWindowOptions tooLong;
  tooLong.length = 30;
  QVERIFY(refuses([&] { ns::framesDenoiserFor(video, 40, tooLong); }, "position table of 24"));
  ns::WindowFusion f = ns::WindowFusion::Average;
  QVERIFY(ns::windowFusionFromString("freenoise", f) && f == ns::WindowFusion::FreeNoise);
  QVERIFY(!ns::windowFusionFromString("mean", f) && f == ns::WindowFusion::FreeNoise);
  QCOMPARE(ns::toString(ns::WindowFusion::Average), std::string("average"));
}

NS_REGISTER_TEST(TstClipFramesDenoiser, framesAreBitwiseTheClipCall, guidedBatchesAndJointFrames,
                 mixedClipsAndPartialClipsRefused, framesDenoiserForChoosesPlainOrWindows)
#ifdef NS_HAVE_QTEST
#include "tst_clip_frames_denoiser.moc"
#endif
