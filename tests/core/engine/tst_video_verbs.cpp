// Every video verb on a video model (issue 16 item 4), on the tiny SD 1.x UNet of tests/data/sd
// with and without the tiny v3 motion module of tests/data/motion (24-frame position table):
//   - renderProject denoises the sketch clip JOINTLY: changing frame 0 of the sketch changes the
//     denoised frame 3 with the video model, not with the image model, and not with the video
//     model whose temporal attention is zeroed (the only cross-frame path); warped noise as the
//     start; context windows for clips longer than render.context.length; the memory budget
//     counts the clip's frames; a window longer than the module's table is refused;
//   - edit-friendly inversion of a clip through the video model reconstructs it exactly (edit with
//     the source prompt/cfg, skip 0), also in context windows; DDIM inversion is joint;
//   - interpolation between two clips' noises: clip endpoints reproduce the clips' own
//     reconstructions, and the clips are decoded jointly.
#include "tests/support/ns_test.h"

#include <c10/core/InferenceMode.h>

#include <string>

#include "core/diffusion/edit_friendly_inversion.h"
#include "core/diffusion/noise_schedule.h"
#include "core/engine/engine.h"
#include "core/engine/memory_budget.h"
#include "core/engine/noise_verbs.h"
#include "core/engine/render_project.h"
#include "core/model/sd/motion_module.h"
#include "core/model/sd/sd_model.h"
#include "core/model/sd/sd_video_denoiser.h"
#include "core/util/frame_tensors.h"

namespace {

std::string motionData(const std::string& name) { return nstest::dataDir() + "/motion/" + name; }
std::string sdData(const std::string& name) { return nstest::dataDir() + "/sd/" + name; }

ns::ModelBundle loadTiny(const std::string& module) {
  ns::sd::SdLoadOptions o;
  o.unetHeads.heads = 2;  // tests/data/sd/sd_tiny_configs.json
  o.textHeads = 2;
  o.tokenizerDir = sdData("tokenizer_tiny");
  o.motionModule = module;
  auto m = ns::sd::loadSdModel(sdData("sd1_tiny.safetensors"), o);
  if (!m.ok()) throw std::runtime_error(m.error().message);
  // invert / edit / interpolate fit their sources to the model's size, 512 px for an SD 1.x file;
  // 64 px (8x8 latents) keeps these tests quick on a CPU.
  m->info.sampleSize = 8;
  auto bundle = ns::sd::toModelBundle(*m);
  if (!bundle.ok()) throw std::runtime_error(bundle.error().message);
  return *bundle;
}

// Zeroes every temporal attention output of the video model while alive: frames are then
// denoised each on its own (the motion modules' feed-forward still acts per frame).
struct ZeroTemporalAttention {
  ns::sd::MotionModules& motion;
  explicit ZeroTemporalAttention(ns::ModelBundle& m)
      : motion(std::dynamic_pointer_cast<ns::sd::SdVideoDenoiser>(m.denoiser)->motion()) {
    motion.setAttentionHook([](const ns::sd::UnetSite&, int, int, const at::Tensor& out) { return at::zeros_like(out); });
  }
  ~ZeroTemporalAttention() { motion.setAttentionHook({}); }
};

// A smooth random clip [F,3,H,W] in [-1,1]: a colour field drifting right by 2 px per frame.
at::Tensor smoothClip(int64_t frames, int64_t size, uint64_t seed) {
  at::manual_seed(seed);
  const at::Tensor base = at::upsample_bilinear2d(at::rand({1, 3, 6, 6}) * 1.6 - 0.8, {size + 2 * frames, size}, false);
  std::vector<at::Tensor> out;
  for (int64_t f = 0; f < frames; ++f) out.push_back(base.narrow(2, 2 * f, size).transpose(2, 3));
  return at::cat(out).contiguous();
}

// A project whose sketch is the background video of `inputs` (no objects): frame k is exactly
// the clip's frame k, so a test can change one sketch frame alone.
ns::Project videoProject(int frames, int size) {
  ns::Project p;
  p.width = p.height = size;
  p.frames = frames;
  p.prompt = "a red ball";
  p.seed = 7;
  p.background.kind = ns::BackgroundKind::VideoFile;
  p.background.path = "clip.mp4";  // not read: the clip comes in through SketchInputs
  p.noise.kind = ns::NoiseKind::Random;
  p.render.steps = 8;
  p.render.noiseRatio = 0.6;
  p.render.cfg = 2.0;
  return p;
}

at::Tensor render(ns::ModelBundle& model, const ns::Project& p, const at::Tensor& clip) {
  ns::RenderProjectRequest req;
  req.project = p;
  req.inputs.background = clip;
  ns::JobContext ctx;
  auto r = ns::renderProject(model, req, ctx);
  if (!r.ok()) throw std::runtime_error(r.error().message);
  return r->framesTensor;
}

double maxDiff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

}  // namespace

class TstVideoVerbs : public QObject {
  Q_OBJECT
 private slots:
  void renderIsJointOnlyThroughTemporalAttention();
  void renderWarpedNoiseWindowsAndLimits();
  void editFriendlyInversionOfAClipReconstructsIt();
  void ddimInversionIsJoint();
  void interpolatesBetweenTwoClips();
};

void TstVideoVerbs::renderIsJointOnlyThroughTemporalAttention() {
  ns::ModelBundle video = loadTiny(motionData("mm_tiny_v3.safetensors"));
  ns::ModelBundle image = loadTiny("");
  const ns::Project p = videoProject(6, 32);
  const at::Tensor clip = smoothClip(6, 32, 3);
  at::Tensor changed = clip.clone();
  changed[0] = -changed[0];  // sketch frame 0 only

  const at::Tensor v = render(video, p, clip), vc = render(video, p, changed);
  QCOMPARE(v.sizes().vec(), (std::vector<int64_t>{6, 3, 32, 32}));
  const double videoFrame3 = maxDiff(v[3], vc[3]);
  qInfo("video model: frame 0 of the sketch changed -> frame 0 moved %.3g, frame 3 moved %.3g", maxDiff(v[0], vc[0]),
        videoFrame3);
  QVERIFY2(videoFrame3 > 1e-3, std::to_string(videoFrame3));

  const at::Tensor i = render(image, p, clip), ic = render(image, p, changed);
  QVERIFY(maxDiff(i[0], ic[0]) > 1e-2);
  QCOMPARE(maxDiff(i[3], ic[3]), 0.0);  // frame by frame: frame 3 never sees frame 0
  QVERIFY(maxDiff(v, i) > 1e-3);        // the motion module changes the render

  // With the temporal attention zeroed, nothing crosses frames: frame 3 stays put.
  ZeroTemporalAttention zero(video);
  const at::Tensor z = render(video, p, clip), zc = render(video, p, changed);
  QVERIFY(maxDiff(z[0], zc[0]) > 1e-2);
  const double zeroFrame3 = maxDiff(z[3], zc[3]);
  QVERIFY2(zeroFrame3 < 1e-6, std::to_string(zeroFrame3));
}

void TstVideoVerbs::renderWarpedNoiseWindowsAndLimits() {
  ns::ModelBundle video = loadTiny(motionData("mm_tiny_v3.safetensors"));
  ns::Project p = videoProject(6, 32);
  const at::Tensor clip = smoothClip(6, 32, 4);
  // Warped noise (Go-with-the-Flow) as the start: the initial noise follows the sketch's flow.
  p.noise.kind = ns::NoiseKind::Warped;
  ns::RenderProjectRequest req;
  req.project = p;
  req.inputs.background = clip;
  ns::JobContext ctx;
  auto warped = ns::renderProject(video, req, ctx);
  QVERIFY2(warped.ok(), warped.ok() ? "" : warped.error().message);
  std::vector<std::string> notes;
  auto sketch = ns::renderProjectSketch(p, req.inputs);
  QVERIFY(sketch.ok());
  const int latent = 32 / video.codec->downscale();
  auto expectNoise = ns::projectNoise(p, *sketch, 4, latent, latent, notes);
  QVERIFY(expectNoise.ok());
  QVERIFY(at::equal(ns::framesToTensor(warped->noise), *expectNoise));
  QVERIFY(maxDiff(warped->framesTensor, render(video, videoProject(6, 32), clip)) > 1e-3);

  // Windows: 6 frames in windows of 4 (overlap 2) differ from the one-window render, FreeNoise
  // from averaging; a length of 6 or more is the plain render bit for bit.
  p.noise.kind = ns::NoiseKind::Random;
  const at::Tensor plain = render(video, p, clip);
  p.render.context.length = 4;
  p.render.context.overlap = 2;
  const at::Tensor freeNoise = render(video, p, clip);
  p.render.fusion = ns::WindowFusion::Average;
  const at::Tensor averaged = render(video, p, clip);
  QVERIFY(maxDiff(freeNoise, plain) > 1e-4);
  QVERIFY(maxDiff(averaged, freeNoise) > 1e-5);
  p.render.context.length = 6;
  QVERIFY(at::equal(render(video, p, clip), plain));
  // Bad window settings are refused before anything runs, naming the field.
  p.render.context.length = 4;
  p.render.context.overlap = 4;
  req.project = p;
  auto bad = ns::renderProject(video, req, ctx);
  QVERIFY(!bad.ok());
  QVERIFY(bad.error().kind == ns::ErrorKind::BadInput);
  QVERIFY2(bad.error().message.find("render.context_windows.overlap") != std::string::npos, bad.error().message);
  p.render.context.overlap = 2;
  // The memory budget counts the clip's frames in one call (6 frames x 2 for guidance): a budget
  // that holds one frame but not six refuses before anything runs.
  p.render.context.length = 16;
  req.project = p;
  ns::MemoryRequest one;
  one.batch = 2;
  one.frames = 1;
  one.height = one.width = 32;
  ns::setAvailableMemoryOverride(ns::estimateMemoryBytes(one) * 3);
  auto big = ns::renderProject(video, req, ctx);
  ns::setAvailableMemoryOverride(0);
  QVERIFY(!big.ok());
  QVERIFY2(big.error().message.find("6 frames") != std::string::npos, big.error().message);
}

void TstVideoVerbs::editFriendlyInversionOfAClipReconstructsIt() {
  ns::ModelBundle video = loadTiny(motionData("mm_tiny_v3.safetensors"));
  ns::ModelBundle image = loadTiny("");
  ns::InvertRequest req;
  req.source = ns::imagesToFrames(smoothClip(6, 64, 5));
  req.prompt = "a red ball";
  req.steps = 6;
  req.cfgSource = 2.0;
  req.seed = 9;
  for (int windowed = 0; windowed < 2; ++windowed) {
    if (windowed) {
      req.context.length = 4;
      req.context.overlap = 2;
    }
    ns::JobContext ctx;
    auto inv = ns::invert(video, req, ctx);
    QVERIFY2(inv.ok(), inv.ok() ? "" : inv.error().message);
    QCOMPARE(inv->noise->xT.size(0), int64_t(6));
    ns::EditRequest e;
    e.noise = inv->noise;
    e.skip = 0;
    e.cfg = req.cfgSource;
    e.context = req.context;
    auto out = ns::edit(video, e, ctx);
    QVERIFY2(out.ok(), out.ok() ? "" : out.error().message);
    c10::InferenceMode guard;
    const at::Tensor expect = (video.codec->decode(inv->noise->x0) + 1.0) * 0.5;  // frames are [0,1]
    const double err = maxDiff(ns::framesToTensor(out->frames), expect.clamp(0.0, 1.0));
    qInfo("edit-friendly clip reconstruction (%s): max error %.3g", windowed ? "windows of 4" : "one window", err);
    QVERIFY2(err < 1e-4, std::to_string(err));  // measured ~2e-6 (float rounding through the VAE decoder)
  }
  // Window settings no window can have: refused as bad input before any work.
  ns::JobContext ctx;
  req.context.overlap = 4;
  auto refused = ns::invert(video, req, ctx);
  QVERIFY(!refused.ok());
  QVERIFY(refused.error().kind == ns::ErrorKind::BadInput);
  QVERIFY2(refused.error().message.find("overlap 4 must be in [0, window length 4)") != std::string::npos,
           refused.error().message);
  // The inversion went through the clip jointly: its noise maps differ from the image model's
  // (same UNet weights, frames one by one) for the same source and seed.
  req.context = {};
  auto v = ns::invert(video, req, ctx), i = ns::invert(image, req, ctx);
  QVERIFY(v.ok() && i.ok());
  QVERIFY(maxDiff(v->noise->zs, i->noise->zs) > 1e-3);
}

void TstVideoVerbs::ddimInversionIsJoint() {
  ns::ModelBundle video = loadTiny(motionData("mm_tiny_v3.safetensors"));
  ns::ModelBundle image = loadTiny("");
  ns::InvertRequest req;
  req.method = ns::InversionMethod::Ddim;
  req.source = ns::imagesToFrames(smoothClip(6, 64, 6));
  req.steps = 5;
  req.cfgSource = 1.0;
  at::Tensor changedClip = smoothClip(6, 64, 6);
  changedClip[0] = -changedClip[0];
  ns::InvertRequest changed = req;
  changed.source = ns::imagesToFrames(changedClip);
  ns::JobContext ctx;
  for (auto* model : {&video, &image}) {
    auto a = ns::invert(*model, req, ctx), b = ns::invert(*model, changed, ctx);
    QVERIFY(a.ok() && b.ok());
    QCOMPARE(a->noise->method, std::string("ddim"));
    const double frame3 = maxDiff(a->noise->xT[3], b->noise->xT[3]);
    if (model == &video) QVERIFY2(frame3 > 1e-4, std::to_string(frame3));
    else QCOMPARE(frame3, 0.0);
    // And its regeneration (edit of DDIM noise) decodes the clip jointly too.
    ns::EditRequest e;
    e.noise = a->noise;
    e.cfg = 1.0;
    auto out = ns::edit(*model, e, ctx);
    QVERIFY(out.ok());
    QCOMPARE(out->frames.count, 6);
  }
}

void TstVideoVerbs::interpolatesBetweenTwoClips() {
  ns::ModelBundle video = loadTiny(motionData("mm_tiny_v3.safetensors"));
  ns::ModelBundle image = loadTiny("");
  ns::InterpolateRequest req;
  req.imageA = smoothClip(4, 64, 11);
  req.imageB = smoothClip(4, 64, 12);
  req.frames = 3;
  req.steps = 5;
  req.method = ns::InterpolationMethod::Lerp;  // per element: frame 3 of a mix sees frame 0 only through the model
  ns::JobContext ctx;
  auto r = ns::interpolateImages(video, req, ctx);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  QCOMPARE(r->clipFrames, int64_t(4));
  QCOMPARE(r->frames.sizes().vec(), (std::vector<int64_t>{12, 3, 64, 64}));
  // Endpoints are the clips' own DDIM round trips: interpolating A with another clip C gives the
  // same first clip.
  ns::InterpolateRequest other = req;
  other.imageB = smoothClip(4, 64, 13);
  auto r2 = ns::interpolateImages(video, other, ctx);
  QVERIFY(r2.ok());
  QVERIFY(maxDiff(r->frames.narrow(0, 0, 4), r2->frames.narrow(0, 0, 4)) < 1e-5);
  QVERIFY(maxDiff(r->frames.narrow(0, 8, 4), r2->frames.narrow(0, 8, 4)) > 1e-3);
  // Joint decoding: clip A's frame 0 reaches frame 3 of the middle mix through the video model only.
  ns::InterpolateRequest changed = req;
  changed.imageA = req.imageA.clone();
  changed.imageA[0] = -changed.imageA[0];
  auto rv = ns::interpolateImages(video, changed, ctx);
  auto ri = ns::interpolateImages(image, req, ctx), ric = ns::interpolateImages(image, changed, ctx);
  QVERIFY(rv.ok() && ri.ok() && ric.ok());
  const double videoMid3 = maxDiff(r->frames[4 + 3], rv->frames[4 + 3]);
  QVERIFY2(videoMid3 > 1e-4, std::to_string(videoMid3));
  QCOMPARE(maxDiff(ri->frames[4 + 3], ric->frames[4 + 3]), 0.0);
  // Clips of different lengths are refused.
  ns::InterpolateRequest bad = req;
  bad.imageB = smoothClip(3, 64, 12);
  auto refused = ns::interpolateImages(video, bad, ctx);
  QVERIFY(!refused.ok());
  QVERIFY2(refused.error().message.find("same length (got 4 and 3 frames)") != std::string::npos, refused.error().message);
}

NS_REGISTER_TEST(TstVideoVerbs, renderIsJointOnlyThroughTemporalAttention, renderWarpedNoiseWindowsAndLimits,
                 editFriendlyInversionOfAClipReconstructsIt, ddimInversionIsJoint, interpolatesBetweenTwoClips)
#ifdef NS_HAVE_QTEST
#include "tst_video_verbs.moc"
#endif
