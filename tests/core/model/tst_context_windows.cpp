// Context windows and FreeNoise window fusion on the video denoiser (issue 16 item 3;
// core/model/context_windows.h, core/model/sd/windowed_video_denoiser.h), on the tiny SD UNet of
// tests/data/sd with the tiny v3 motion module of tests/data/motion (24-frame position table):
//   - the window schedule (FreeNoise views, tail window, looping) and fusion weights (sum to 1);
//   - a clip that fits in one window is the plain model call bit for bit;
//   - non-overlapping windows are independent clips; plain averaging is the mean of the windows'
//     own predictions; FreeNoise differs from it and from fusing the windows' final outputs;
//   - with the temporal attention zeroed (frames independent) every way gives the direct forward;
//   - looping windows treat every frame alike: rolling the clip rolls the result;
//   - the attention hook is released after the call; a window longer than the table is refused.
#include "tests/support/ns_test.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "core/model/context_windows.h"
#include "core/model/safetensors.h"
#include "core/model/sd/motion_module.h"
#include "core/model/sd/sd_model.h"
#include "core/model/sd/sd_video_denoiser.h"
#include "core/model/sd/windowed_video_denoiser.h"

namespace {

namespace fs = std::filesystem;
using ns::sd::WindowedVideoDenoiser;
using Fusion = WindowedVideoDenoiser::Fusion;

std::string motionData(const std::string& name) { return nstest::dataDir() + "/motion/" + name; }
std::string sdData(const std::string& name) { return nstest::dataDir() + "/sd/" + name; }
std::string tempRoot() { return (fs::temp_directory_path() / ("ns_tst_ctxwin_" + std::to_string(::getpid()))).string(); }

double relErr(const at::Tensor& got, const at::Tensor& ref) {
  return (got - ref).abs().max().item<double>() / std::max(ref.abs().max().item<double>(), 1e-12);
}

std::shared_ptr<ns::sd::SdVideoDenoiser> loadVideo(const std::string& module) {
  ns::sd::SdLoadOptions o;
  o.unetHeads.heads = 2;  // tests/data/sd/sd_tiny_configs.json
  o.textHeads = 2;
  o.tokenizerDir = sdData("tokenizer_tiny");
  o.motionModule = module;
  auto m = ns::sd::loadSdModel(sdData("sd1_tiny.safetensors"), o);
  if (!m.ok()) throw std::runtime_error(m.error().message);
  auto bundle = ns::sd::toModelBundle(*m);
  if (!bundle.ok()) throw std::runtime_error(bundle.error().message);
  return std::dynamic_pointer_cast<ns::sd::SdVideoDenoiser>(bundle->denoiser);
}

struct Inputs {
  at::Tensor x, t;  // x [B,4,6,8,8]
  ns::Conditioning cond;
};
Inputs fixtureInputs() {
  auto in = ns::readSafetensors(motionData("motion_inputs.safetensors"));
  if (!in.ok()) throw std::runtime_error(in.error().message);
  return {in->tensors.at("unet.x"), in->tensors.at("unet.t"), ns::Conditioning{in->tensors.at("unet.context")}};
}

// A clip of `frames` frames from the fixture's 6, each copy perturbed so that no two frames are equal.
at::Tensor longClip(const at::Tensor& x, int64_t frames) {
  const int64_t reps = (frames + x.size(2) - 1) / x.size(2);
  at::Tensor clip = x.repeat({1, 1, reps, 1, 1}).narrow(2, 0, frames).contiguous();
  const at::Tensor wobble = at::sin(at::arange(frames, at::kFloat) * 0.7).reshape({1, 1, frames, 1, 1});
  return clip + 0.3 * wobble;
}

ns::ContextWindowOptions windowOpts(int64_t length, int64_t overlap, bool loop = false) {
  ns::ContextWindowOptions o;
  o.length = length;
  o.overlap = overlap;
  o.loop = loop;
  return o;
}

std::vector<int> coverage(const std::vector<std::vector<int64_t>>& windows, int64_t frames) {
  std::vector<int> n(size_t(frames), 0);
  for (const auto& w : windows)
    for (int64_t f : w) ++n[size_t(f)];
  return n;
}

}  // namespace

class TstContextWindows : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { fs::create_directories(tempRoot()); }
  void cleanupTestCase() { fs::remove_all(tempRoot()); }
  void scheduleAndWeights();
  void clipInOneWindowIsBitwiseThePlainCall();
  void nonOverlappingWindowsAreIndependentClips();
  void averagingIsTheMeanAndFreeNoiseFusesInside();
  void zeroTemporalAttentionGivesTheDirectForward();
  void loopingWindowsTreatEveryFrameAlike();
  void hookReleasedAndLimitsRefused();
};

void TstContextWindows::scheduleAndWeights() {
  using V = std::vector<int64_t>;
  // 40 frames, 16 with overlap 4: starts 0, 12, 24 (the last ends at frame 39: no tail window).
  auto w = ns::contextWindows(40, windowOpts(16, 4));
  QCOMPARE(int(w.size()), 3);
  QCOMPARE(w[2].front(), int64_t(24));
  QCOMPARE(w[2].back(), int64_t(39));
  // 42 frames: 0, 12, 24, then the tail window (26, 42).
  w = ns::contextWindows(42, windowOpts(16, 4));
  QCOMPARE(int(w.size()), 4);
  QCOMPARE(w[3].front(), int64_t(26));
  QCOMPARE(w[3].back(), int64_t(41));
  for (int n : coverage(w, 42)) QVERIFY(n >= 1);
  // An explicit stride wins over the overlap.
  auto so = windowOpts(16, 4);
  so.stride = 8;
  QCOMPARE(int(ns::contextWindows(40, so).size()), 4);  // 0, 8, 16, 24
  // Fits in one window: the whole clip.
  QCOMPARE(ns::contextWindows(10, windowOpts(16, 4)), (std::vector<V>{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}));
  // Looping: 12 frames, 8 with overlap 4 -> starts 0, 4, 8; the last wraps to frames 0..3; every
  // frame in exactly 2 windows (the non-looping schedule covers the ends once).
  w = ns::contextWindows(12, windowOpts(8, 4, true));
  QCOMPARE(w, (std::vector<V>{{0, 1, 2, 3, 4, 5, 6, 7}, {4, 5, 6, 7, 8, 9, 10, 11}, {8, 9, 10, 11, 0, 1, 2, 3}}));
  for (int n : coverage(w, 12)) QCOMPARE(n, 2);
  QCOMPARE(coverage(ns::contextWindows(12, windowOpts(8, 4)), 12)[0], 1);
  // Weights: 1/(|i - c| + 1), c = (L-1)/2, normalised per frame -> sum 1 over the covering windows.
  for (const auto& [frames, o] : std::vector<std::pair<int64_t, ns::ContextWindowOptions>>{
           {40, windowOpts(16, 4)}, {42, windowOpts(16, 4)}, {12, windowOpts(8, 4, true)}, {30, windowOpts(7, 5)}}) {
    const auto win = ns::contextWindows(frames, o);
    for (bool uniform : {false, true}) {
      const auto wt = ns::windowFusionWeights(win, frames, uniform);
      std::vector<double> sum(size_t(frames), 0.0);
      for (size_t v = 0; v < win.size(); ++v)
        for (size_t i = 0; i < win[v].size(); ++i) sum[size_t(win[v][i])] += wt[v][i];
      for (double s : sum) QVERIFY2(std::abs(s - 1.0) < 1e-6, std::to_string(s).c_str());
    }
  }
  // 10 frames, windows of 6 overlapping by 2 -> (0..5), (4..9). Frame 4 is position 4 of window 0
  // (|4 - 2.5| + 1 = 2.5) and position 0 of window 1 (3.5): shares (1/2.5, 1/3.5) / sum.
  const auto two = ns::contextWindows(10, windowOpts(6, 2));
  const auto wt = ns::windowFusionWeights(two, 10);
  const double a = 1 / 2.5, b = 1 / 3.5;
  QVERIFY(std::abs(wt[0][4] - a / (a + b)) < 1e-6 && std::abs(wt[1][0] - b / (a + b)) < 1e-6);
  QCOMPARE(wt[0][0], 1.0f);  // one window only
  const auto flat = ns::windowFusionWeights(two, 10, true);
  QCOMPARE(flat[0][4], 0.5f);
  // Bad settings, named.
  for (const auto& bad : {windowOpts(8, 8), windowOpts(8, -1), windowOpts(0, 0)}) {
    try {
      (void)ns::contextWindows(20, bad);
      QFAIL("bad window settings accepted");
    } catch (const c10::Error& e) {
      QVERIFY2(std::string(e.what_without_backtrace()).find("context windows") != std::string::npos, e.what());
    }
  }
  auto wide = windowOpts(8, 0);
  wide.stride = 9;  // would skip frame 8
  bool refused = false;
  try {
    (void)ns::contextWindows(20, wide);
  } catch (const c10::Error&) {
    refused = true;
  }
  QVERIFY(refused);
}

void TstContextWindows::clipInOneWindowIsBitwiseThePlainCall() {
  auto video = loadVideo(motionData("mm_tiny_v3.safetensors"));
  QVERIFY(video);
  const Inputs in = fixtureInputs();  // 6 frames
  const at::Tensor plain = video->predict(in.x, in.t, in.cond);
  for (Fusion f : {Fusion::Average, Fusion::FreeNoise}) {
    for (int64_t length : {16, 6}) {
      WindowedVideoDenoiser win(video, windowOpts(length, 4, f == Fusion::FreeNoise), f);
      QVERIFY(win.info().isVideo);
      QVERIFY(at::equal(win.predict(in.x, in.t, in.cond), plain));
    }
  }
}

void TstContextWindows::nonOverlappingWindowsAreIndependentClips() {
  // v3 (no mid-block module) and v2 (with one); 2 clips in the batch.
  for (const char* module : {"mm_tiny_v3.safetensors", "mm_tiny_v2.safetensors"}) {
    auto video = loadVideo(motionData(module));
    const Inputs in = fixtureInputs();
    const at::Tensor x = longClip(in.x, 12);  // B = 2
    const at::Tensor expected =
        at::cat({video->predictWindow(x, in.t, in.cond, 0, 6), video->predictWindow(x, in.t, in.cond, 6, 6)}, 2);
    for (Fusion f : {Fusion::Average, Fusion::FreeNoise}) {
      WindowedVideoDenoiser win(video, windowOpts(6, 0), f);
      const at::Tensor got = win.predict(x, in.t, in.cond);
      QCOMPARE(got.sizes().vec(), x.sizes().vec());
      const double e = relErr(got, expected);
      qInfo("%s, fusion %d, 2 windows without overlap: rel err %.3g", module, int(f), e);
      QVERIFY(e < 1e-5);
    }
  }
}

void TstContextWindows::averagingIsTheMeanAndFreeNoiseFusesInside() {
  auto video = loadVideo(motionData("mm_tiny_v3.safetensors"));
  const Inputs in = fixtureInputs();
  const at::Tensor x = longClip(in.x, 10);
  // Windows (0..5) and (4..9): frames 4, 5 shared.
  const at::Tensor w0 = video->predictWindow(x, in.t, in.cond, 0, 6), w1 = video->predictWindow(x, in.t, in.cond, 4, 6);
  const at::Tensor mean = at::cat({w0.narrow(2, 0, 4), (w0.narrow(2, 4, 2) + w1.narrow(2, 0, 2)) / 2, w1.narrow(2, 2, 4)}, 2);
  const at::Tensor avg = WindowedVideoDenoiser(video, windowOpts(6, 2), Fusion::Average).predict(x, in.t, in.cond);
  QVERIFY(relErr(avg, mean) < 1e-6);
  // FreeNoise fuses the attention outputs inside the network: not the plain mean, and not the same
  // distance weights applied to the windows' final outputs either.
  const auto wt = ns::windowFusionWeights(ns::contextWindows(10, windowOpts(6, 2)), 10);
  const at::Tensor outputFused = at::cat(
      {w0.narrow(2, 0, 4), w0.narrow(2, 4, 2) * at::tensor({wt[0][4], wt[0][5]}).reshape({1, 1, 2, 1, 1}) +
                               w1.narrow(2, 0, 2) * at::tensor({wt[1][0], wt[1][1]}).reshape({1, 1, 2, 1, 1}),
       w1.narrow(2, 2, 4)}, 2);
  const at::Tensor fused = WindowedVideoDenoiser(video, windowOpts(6, 2), Fusion::FreeNoise).predict(x, in.t, in.cond);
  const double vsMean = relErr(fused, mean), vsOutputs = relErr(fused.narrow(2, 4, 2), outputFused.narrow(2, 4, 2));
  // Frames 0 and 9 are in one window each, yet their windows saw fused neighbours.
  const double firstFrame = relErr(fused.select(2, 0), w0.select(2, 0));
  qInfo("FreeNoise vs plain mean %.3g, vs output-level fusion on the shared frames %.3g, frame 0 vs its window %.3g", vsMean, vsOutputs,
        firstFrame);
  QVERIFY(vsMean > 1e-3 && vsOutputs > 1e-3 && firstFrame > 1e-4);
  // Still the same model: close to the windows' own predictions, not something else.
  QVERIFY(vsMean < 0.5);
}

void TstContextWindows::zeroTemporalAttentionGivesTheDirectForward() {
  // The tiny v3 module with every temporal attention's output projection zeroed: each frame is then
  // denoised on its own (position encodings only enter through attention), so any windowing must
  // give the direct forward of the whole clip (18 frames fit the 24-frame table).
  auto file = ns::readSafetensors(motionData("mm_tiny_v3.safetensors"));
  QVERIFY(file.ok());
  std::map<std::string, at::Tensor> zeroed;
  int changed = 0;
  for (const auto& [k, v] : file->tensors) {
    const bool attnOut = k.find("attention_blocks") != std::string::npos && k.find("to_out") != std::string::npos;
    zeroed.emplace(k, attnOut ? at::zeros_like(v) : v);
    changed += attnOut;
  }
  QVERIFY(changed > 0);
  const std::string path = tempRoot() + "/mm_zero_attention.safetensors";
  QVERIFY(ns::writeSafetensors(path, zeroed).ok());
  auto video = loadVideo(path);
  const Inputs in = fixtureInputs();
  const at::Tensor x = longClip(in.x, 18);
  const at::Tensor direct = video->predict(x, in.t, in.cond);
  for (Fusion f : {Fusion::Average, Fusion::FreeNoise})
    for (bool loop : {false, true}) {
      const double e = relErr(WindowedVideoDenoiser(video, windowOpts(8, 3, loop), f).predict(x, in.t, in.cond), direct);
      QVERIFY2(e < 1e-5, std::to_string(e).c_str());
    }
  // With the real module the same windows are not the direct forward (the check above can fail).
  auto real = loadVideo(motionData("mm_tiny_v3.safetensors"));
  QVERIFY(relErr(WindowedVideoDenoiser(real, windowOpts(8, 3), Fusion::FreeNoise).predict(x, in.t, in.cond),
                 real->predict(x, in.t, in.cond)) > 1e-3);
}

void TstContextWindows::loopingWindowsTreatEveryFrameAlike() {
  auto video = loadVideo(motionData("mm_tiny_v3.safetensors"));
  const Inputs in = fixtureInputs();
  const at::Tensor x = longClip(in.x, 12);
  // Looping windows of 8 with stride 4 over 12 frames are the same set after a roll by 4 frames,
  // so the result of the rolled clip is the rolled result.
  for (Fusion f : {Fusion::Average, Fusion::FreeNoise}) {
    WindowedVideoDenoiser loop(video, windowOpts(8, 4, true), f);
    const at::Tensor a = loop.predict(x, in.t, in.cond).roll(4, 2);
    const at::Tensor b = loop.predict(x.roll(4, 2), in.t, in.cond);
    const double e = relErr(b, a);
    WindowedVideoDenoiser open(video, windowOpts(8, 4, false), f);
    const double eOpen = relErr(open.predict(x.roll(4, 2), in.t, in.cond), open.predict(x, in.t, in.cond).roll(4, 2));
    qInfo("fusion %d: roll equivariance looping %.3g, not looping %.3g", int(f), e, eOpen);
    QVERIFY(e < 1e-5);
    QVERIFY(eOpen > 1e-3);  // the clip's ends are special without looping
  }
}

void TstContextWindows::hookReleasedAndLimitsRefused() {
  auto video = loadVideo(motionData("mm_tiny_v3.safetensors"));
  const Inputs in = fixtureInputs();
  const at::Tensor before = video->predict(in.x, in.t, in.cond);
  (void)WindowedVideoDenoiser(video, windowOpts(4, 2), Fusion::FreeNoise).predict(in.x, in.t, in.cond);
  QVERIFY(at::equal(video->predict(in.x, in.t, in.cond), before));
  try {
    WindowedVideoDenoiser(video, windowOpts(30, 4), Fusion::FreeNoise);
    QFAIL("a 30-frame window was accepted for a 24-frame module");
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    QVERIFY2(msg.find("30") != std::string::npos && msg.find("24") != std::string::npos, msg.c_str());
  }
  // A 48-frame clip (twice the table) runs in windows of 16 and keeps its shape.
  const at::Tensor x = longClip(in.x.narrow(0, 0, 1), 48);
  const ns::Conditioning one{in.cond.context.narrow(0, 0, 1)};
  // Timings for docs/video.md (printed, not asserted: the machine is shared).
  double seconds[2] = {0, 0};
  for (Fusion f : {Fusion::Average, Fusion::FreeNoise}) {
    WindowedVideoDenoiser win(video, windowOpts(16, 4), f);
    at::Tensor out;
    seconds[int(f)] = 1e9;
    for (int rep = 0; rep < 3; ++rep) {  // best of 3
      const auto start = std::chrono::steady_clock::now();
      out = win.predict(x, in.t.narrow(0, 0, 1), one);
      seconds[int(f)] = std::min(seconds[int(f)], std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    QCOMPARE(out.sizes().vec(), x.sizes().vec());
    QVERIFY(out.isfinite().all().item<bool>());
  }
  qInfo("48 frames in windows of 16 (overlap 4, 4 windows), best of 3: averaging %.3f s, FreeNoise %.3f s", seconds[0],
        seconds[1]);
  {  // The same 4 windows as one batch without the fusion hook: what the fusion itself costs
    const at::Tensor idx = at::cat({at::arange(0, 16), at::arange(12, 28), at::arange(24, 40), at::arange(32, 48)});
    const at::Tensor xw = x.index_select(2, idx).reshape({1, 4, 4, 16, 8, 8}).transpose(1, 2).reshape({4, 4, 16, 8, 8});
    double best = 1e9;
    for (int rep = 0; rep < 3; ++rep) {
      const auto start = std::chrono::steady_clock::now();
      (void)ns::sd::forwardVideo(video->unet(), video->motion(), xw, in.t.narrow(0, 0, 1).repeat(4), one.context.repeat({4, 1, 1}));
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    qInfo("the same windows batched without the fusion hook, best of 3: %.3f s", best);
  }
}

NS_REGISTER_TEST(TstContextWindows, initTestCase, scheduleAndWeights, clipInOneWindowIsBitwiseThePlainCall,
                 nonOverlappingWindowsAreIndependentClips, averagingIsTheMeanAndFreeNoiseFusesInside,
                 zeroTemporalAttentionGivesTheDirectForward, loopingWindowsTreatEveryFrameAlike,
                 hookReleasedAndLimitsRefused, cleanupTestCase)
#ifdef NS_HAVE_QTEST
#include "tst_context_windows.moc"
#endif
