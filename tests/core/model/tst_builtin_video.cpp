// Tests the built-in video model (issue 16 item 2): core/model/builtin_video_denoiser.h (shapes,
// windows, refusals), motion modules on the built-in UNet's sites (builtin_motion_sites.h: the
// layout, the tensor list = the network's, the self-describing file and its refusals), that
// zero-initialised modules are the image model bit for bit, that frames attend to each other,
// context windows / FreeNoise on the built-in video model, and the shipped model: it loads as a
// video model (the CLI's and window's door, loadModel + motion file) and its ε loss on held-out
// moving clips is lower than the image model's.
#include "tests/support/ns_test.h"

#include "tests/support/torch_first.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>

#include "core/model/builtin_denoiser.h"
#include "core/model/builtin_model.h"
#include "core/model/builtin_motion_sites.h"
#include "core/model/builtin_video_denoiser.h"
#include "core/model/builtin_video_model.h"
#include "core/model/model_loader.h"
#include "core/model/module_weights.h"
#include "core/model/nn/builtin_nets.h"
#include "core/model/safetensors.h"
#include "core/model/sd/motion_module.h"
#include "core/model/sd/windowed_video_denoiser.h"
#include "core/model/vocabulary.h"
#include "core/plan/scene_generator.h"

namespace {

using ns::sd::MotionModules;

ns::nn::UNetConfig shippedShapeUNet() {
  ns::nn::UNetConfig c;  // the shipped architecture: base 48, mults [1,2,2], 2 res blocks
  c.vocabSize = int(ns::Vocabulary::words().size());
  return c;
}

at::Tensor randn(at::IntArrayRef shape, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return at::randn(shape, gen, at::TensorOptions());
}

// A random-weight UNet whose output depends on its input (conv_out starts at zero).
std::shared_ptr<ns::nn::BuiltinUNetImpl> randomUNet(uint64_t seed) {
  torch::manual_seed(seed);
  auto net = std::make_shared<ns::nn::BuiltinUNetImpl>(shippedShapeUNet());
  torch::NoGradGuard g;
  auto params = net->named_parameters();
  params["conv_out.weight"].normal_(0.0, 0.05);
  params["conv_out.bias"].normal_(0.0, 0.05);
  net->eval();
  return net;
}

ns::DenoiserInfo videoInfo() {
  ns::DenoiserInfo info;
  info.id = "test-video";
  info.channels = 4;
  info.sampleSize = 16;
  return info;
}

ns::Conditioning prompt(const std::string& text, int64_t rows = 1) {
  auto ids = ns::Vocabulary::tokenize(text);
  ids.resize(ns::Vocabulary::kMaxTokens, 0);
  return ns::Conditioning{at::tensor(ids, at::kLong).unsqueeze(0).repeat({rows, 1})};
}

double maxAbs(const at::Tensor& a) { return a.abs().max().item<double>(); }

}  // namespace

class TstBuiltinVideo : public QObject {
  Q_OBJECT
 private slots:
  void motionSitesOfTheShippedUNet() {
    const auto c = ns::builtinMotionConfig(shippedShapeUNet(), {});
    // 3 levels x 2 down + mid + 3 levels x 3 up, channels 48/96/96 down and 96/96/48 up.
    QCOMPARE(int(c.modules.size()), 16);
    QCOMPARE(c.modules.front().site.name(), std::string("down_blocks.0.motion_modules.0"));
    QCOMPARE(c.modules.front().channels, 48);
    QCOMPARE(c.modules[6].site.name(), std::string("mid_block.motion_modules.0"));
    QCOMPARE(c.modules[6].channels, 96);
    QCOMPARE(c.modules.back().site.name(), std::string("up_blocks.2.motion_modules.2"));
    QCOMPARE(c.modules.back().channels, 48);
    QCOMPARE(c.groups, 8);
    // The tensor list written out by hand is the network's own.
    const auto fromNet = MotionModules::expectedShapes(c);
    const auto byHand = ns::motionTensorShapes(c);
    QCOMPARE(byHand.size(), fromNet.size());
    for (const auto& [name, shape] : fromNet) {
      QVERIFY2(byHand.count(name), name.c_str());
      QVERIFY2(byHand.at(name) == shape, name.c_str());
    }
  }

  void shapesAndWindows() {
    auto net = randomUNet(1);
    const auto cfg = ns::builtinMotionConfig(net->config(), {});
    ns::BuiltinVideoDenoiser video(net, MotionModules::createRandom(cfg, 2), videoInfo(), "cpu");
    QVERIFY(video.info().isVideo);
    QCOMPARE(video.maxFrames(), int64_t(32));
    const at::Tensor x = randn({2, 4, 5, 16, 16}, 3);
    const at::Tensor t = at::tensor({100, 700}, at::kLong);
    const at::Tensor out = video.predict(x, t, prompt("a red ball on grass"));
    QCOMPARE(out.sizes().vec(), x.sizes().vec());
    QVERIFY(out.isfinite().all().item<bool>());
    // A window is the clip made of those frames.
    const at::Tensor win = video.predictWindow(x, t, prompt("a red ball on grass", 2), 1, 3);
    QCOMPARE(win.sizes().vec(), (std::vector<int64_t>{2, 4, 3, 16, 16}));
    const at::Tensor alone = video.predict(x.narrow(2, 1, 3).contiguous(), t, prompt("a red ball on grass"));
    QVERIFY(maxAbs(win - alone) < 1e-5);
    // 4-D is a one-frame clip.
    QCOMPARE(video.predict(x.select(2, 0), t, prompt("a box")).sizes().vec(), (std::vector<int64_t>{2, 4, 16, 16}));
    // Refusals name what is wrong.
    bool threw = false;
    try {
      video.predict(randn({1, 4, 33, 16, 16}, 4), at::tensor({5}, at::kLong), prompt("a box"));
    } catch (const c10::Error& e) {
      threw = std::string(e.what()).find("32") != std::string::npos;
    }
    QVERIFY(threw);
    threw = false;
    try {
      video.predict(x, t, ns::Conditioning{randn({2, 16, 8}, 5)});
    } catch (const c10::Error& e) {
      threw = std::string(e.what()).find("token ids") != std::string::npos;
    }
    QVERIFY(threw);
  }

  void zeroInitialisedMotionIsTheImageModel() {
    auto net = randomUNet(11);
    const auto cfg = ns::builtinMotionConfig(net->config(), {});
    ns::BuiltinVideoDenoiser video(net, MotionModules::createForTraining(cfg, 12), videoInfo(), "cpu");
    ns::BuiltinDenoiser image(net, videoInfo(), "cpu");  // frames folded into the batch, one by one
    const at::Tensor x = randn({2, 4, 6, 16, 16}, 13);
    const at::Tensor t = at::tensor({50, 900}, at::kLong);
    const auto cond = prompt("a blue star in the sea", 2);
    const at::Tensor v = video.predict(x, t, cond);
    const at::Tensor i = image.predict(x, t, cond);
    QVERIFY(at::equal(v, i));  // bit for bit
    // And each frame is independent of the others: changing frame 0 leaves frame 5 as it was.
    at::Tensor x2 = x.clone();
    x2.select(2, 0).add_(1.0);
    QVERIFY(at::equal(video.predict(x2, t, cond).select(2, 5), v.select(2, 5)));
  }

  void framesAttendToEachOther() {
    auto net = randomUNet(21);
    const auto cfg = ns::builtinMotionConfig(net->config(), {});
    ns::BuiltinVideoDenoiser video(net, MotionModules::createRandom(cfg, 22), videoInfo(), "cpu");
    const at::Tensor x = randn({1, 4, 6, 16, 16}, 23);
    const at::Tensor t = at::tensor({400}, at::kLong);
    const auto cond = prompt("a green box");
    const at::Tensor a = video.predict(x, t, cond);
    at::Tensor x2 = x.clone();
    x2.select(2, 0).add_(1.0);
    const at::Tensor b = video.predict(x2, t, cond);
    const double change5 = maxAbs(b.select(2, 5) - a.select(2, 5));
    qInfo("frame 0 +1 -> frame 5 output changes by up to %.3g", change5);
    QVERIFY(change5 > 1e-3);
  }

  void contextWindowsOnTheBuiltinVideoModel() {
    auto net = randomUNet(31);
    const auto cfg = ns::builtinMotionConfig(net->config(), {});
    auto video = std::make_shared<ns::BuiltinVideoDenoiser>(net, MotionModules::createRandom(cfg, 32), videoInfo(),
                                                            "cpu");
    const at::Tensor x = randn({1, 4, 8, 16, 16}, 33);
    const at::Tensor t = at::tensor({300}, at::kLong);
    const auto cond = prompt("a pink heart at night");
    using W = ns::sd::WindowedVideoDenoiser;
    ns::ContextWindowOptions fits;
    fits.length = 8;
    fits.overlap = 2;
    // A clip that fits one window is the plain call, bit for bit.
    for (auto f : {W::Fusion::FreeNoise, W::Fusion::Average})
      QVERIFY(at::equal(W(video, fits, f).predict(x, t, cond), video->predict(x, t, cond)));
    // Non-overlapping windows of 4: both fusions are the two windows run as clips of their own.
    ns::ContextWindowOptions halves;
    halves.length = 4;
    halves.overlap = 0;
    const at::Tensor direct = at::cat({video->predictWindow(x, t, cond, 0, 4), video->predictWindow(x, t, cond, 4, 4)}, 2);
    for (auto f : {W::Fusion::FreeNoise, W::Fusion::Average}) {
      const double e = maxAbs(W(video, halves, f).predict(x, t, cond) - direct);
      qInfo("non-overlapping windows, %s: max |diff| %.3g", f == W::Fusion::FreeNoise ? "FreeNoise" : "average", e);
      QVERIFY(e < 1e-4);
    }
    // Overlapping FreeNoise windows on a 12-frame clip: finite, the clip's shape, and the attention
    // hook is left empty afterwards (a plain call gives the plain result again).
    const at::Tensor x12 = randn({1, 4, 12, 16, 16}, 34);
    ns::ContextWindowOptions over;
    over.length = 8;
    over.overlap = 4;
    const at::Tensor fused = W(video, over, W::Fusion::FreeNoise).predict(x12, t, cond);
    QCOMPARE(fused.sizes().vec(), x12.sizes().vec());
    QVERIFY(fused.isfinite().all().item<bool>());
    QVERIFY(at::equal(video->predict(x, t, cond), video->predict(x, t, cond)));
  }

  void motionFileRoundTripAndRefusals() {
    const auto unet = shippedShapeUNet();
    const auto cfg = ns::builtinMotionConfig(unet, {});
    auto modules = MotionModules::createRandom(cfg, 41);
    const auto tensors = ns::moduleState(modules->network(), "", at::kHalf);
    const auto meta = ns::builtinMotionMetadata(cfg, unet, "builtin-shapes-v1");
    ns::sd::WeightMap canonical;
    auto ok = ns::parseBuiltinMotionFile(meta, tensors, unet, "m.safetensors", &canonical);
    QVERIFY2(ok.ok(), ok.ok() ? "" : ok.error().message.c_str());
    QCOMPARE(int(ok->modules.size()), 16);
    QCOMPARE(ok->groups, 8);
    QCOMPARE(ok->heads, 4);
    QCOMPARE(canonical.size(), tensors.size());
    auto refused = [&](std::map<std::string, std::string> m, ns::sd::WeightMap w, const ns::nn::UNetConfig& u,
                       const std::string& mustSay) {
      auto r = ns::parseBuiltinMotionFile(m, w, u, "m.safetensors");
      if (r.ok()) return false;
      const std::string& msg = r.error().message;
      qInfo("%s", msg.c_str());
      return msg.find("m.safetensors") != std::string::npos && msg.find(mustSay) != std::string::npos;
    };
    auto m2 = meta;
    m2["format"] = "pt";
    QVERIFY(refused(m2, tensors, unet, "not a built-in motion file"));
    m2 = meta;
    m2["heads"] = "4x";
    QVERIFY(refused(m2, tensors, unet, "heads"));
    ns::nn::UNetConfig other = unet;
    other.baseChannels = 64;
    QVERIFY(refused(meta, tensors, other, "base 48"));
    auto w2 = tensors;
    w2.erase("mid_block.motion_modules.0.temporal_transformer.proj_out.bias");
    QVERIFY(refused(meta, w2, unet, "proj_out.bias"));
    w2 = tensors;
    w2["up_blocks.0.motion_modules.1.temporal_transformer.proj_in.bias"] = at::zeros({95});
    QVERIFY(refused(meta, w2, unet, "up_blocks.0.motion_modules.1"));
    w2 = tensors;
    for (auto it = w2.begin(); it != w2.end();) it = it->first.rfind("down_blocks.2.", 0) == 0 ? w2.erase(it) : ++it;
    QVERIFY(refused(meta, w2, unet, "down_blocks.2.motion_modules.0"));
  }

  void shippedVideoModelBeatsTheImageModelOnHeldOutClips() {
    const std::string dir = ns::findBuiltinModelDir();
    QVERIFY(!dir.empty());
    const std::string motionFile = ns::builtinMotionFileOf(dir);
    QVERIFY2(!motionFile.empty(), "model.json names no motion file");
    // The one door: loadModel with a motion module on the built-in folder.
    ns::ModelLoadOptions lo;
    lo.sd.motionModule = motionFile;
    auto bundle = ns::loadModel(dir, lo);
    QVERIFY2(bundle.ok(), bundle.ok() ? "" : bundle.error().message.c_str());
    auto video = std::dynamic_pointer_cast<ns::BuiltinVideoDenoiser>(bundle->denoiser);
    QVERIFY(video);
    QVERIFY(video->info().isVideo);
    QCOMPARE(video->info().id, std::string(ns::kBuiltinVideoModelId));
    ns::BuiltinDenoiser image(video->net(), video->info(), "cpu");

    // Held-out clips, made here (not the trainer's generator): scenes of seeds the trainer never
    // draws, objects sliding in a straight line, 8 frames; fixed t and noise.
    constexpr int kClips = 6, kFrames = 8;
    std::vector<at::Tensor> latents;
    std::vector<at::Tensor> tokens;
    for (int c = 0; c < kClips; ++c) {
      ns::SceneOptions so;
      so.minObjects = 1;
      so.maxObjects = c % 2 ? 2 : 1;
      const ns::SceneGenerator gen(so);
      const uint64_t seed = 0x7e57c11b00ull + uint64_t(c);
      const ns::GeneratedScene first = gen.generate(seed);
      std::vector<at::Tensor> frames;
      for (int f = 0; f < kFrames; ++f) {
        ns::SceneSpec spec = first.spec;
        for (size_t k = 0; k < spec.objects.size(); ++k) {
          auto& b = spec.objects[k].box;
          const float dx = (k % 2 ? -0.03f : 0.035f) * float(f), dy = 0.015f * float(f) * (c % 3 == 0 ? 1 : -1);
          const float sx = std::clamp(dx, -b.x0, 1.0f - b.x1), sy = std::clamp(dy, -b.y0, 1.0f - b.y1);
          b = {b.x0 + sx, b.y0 + sy, b.x1 + sx, b.y1 + sy};
        }
        frames.push_back(f == 0 ? first.image : gen.render(spec, seed).image);
      }
      latents.push_back(bundle->codec->encode(at::stack(frames, 0)).transpose(0, 1));  // [C,F,h,w]
      auto ids = ns::Vocabulary::tokenize(first.caption);
      ids.resize(ns::Vocabulary::kMaxTokens, 0);
      tokens.push_back(at::tensor(ids, at::kLong));
    }
    const at::Tensor x0 = at::stack(latents, 0), tok = at::stack(tokens, 0);
    const at::Tensor t = at::linspace(50, 950, kClips).round().to(at::kLong);
    const at::Tensor noise = randn(x0.sizes(), 77);
    const at::Tensor ab = at::linspace(std::sqrt(0.00085), std::sqrt(0.012), 1000, at::kDouble).pow(2);
    const at::Tensor a = (1 - ab).cumprod(0).to(at::kFloat).index_select(0, t).view({-1, 1, 1, 1, 1});
    const at::Tensor xt = a.sqrt() * x0 + (1 - a).sqrt() * noise;
    const double lossVideo = at::mse_loss(video->predict(xt, t, ns::Conditioning{tok}), noise).item<double>();
    const double lossImage = at::mse_loss(image.predict(xt, t, ns::Conditioning{tok}), noise).item<double>();
    qInfo("held-out eps MSE (%d clips x %d frames): video %.5f, image %.5f (%.1f%% lower)", kClips, kFrames, lossVideo,
          lossImage, 100.0 * (1.0 - lossVideo / lossImage));
    QVERIFY(lossVideo < lossImage);
  }
};

NS_REGISTER_TEST(TstBuiltinVideo, motionSitesOfTheShippedUNet, shapesAndWindows, zeroInitialisedMotionIsTheImageModel,
                 framesAttendToEachOther, contextWindowsOnTheBuiltinVideoModel, motionFileRoundTripAndRefusals,
                 shippedVideoModelBeatsTheImageModelOnHeldOutClips)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_builtin_video.moc"
#endif
