// Conformance of the native AnimateDiff motion modules (core/model/sd/motion_*.h, SdVideoDenoiser)
// with the reference code, on tests/data/motion/ (made by tools/motion_fixtures/
// make_motion_fixtures.py: guoyww/AnimateDiff's VanillaTemporalModule in the tiny SD 1.x UNet of
// tests/data/sd run by ldm, with the modules where AnimateDiff's UNet3D has them):
//   - v2 (mid-block module, 32-frame table) and v3 (no mid block, 24 frames here) within 1e-4
//     relative of the reference clip output, from .safetensors in the original names, the .ckpt,
//     and diffusers MotionAdapter names;
//   - the layout read from the weights (sites, mid block, frames, naming);
//   - the video denoiser: windows, frame limits, the attention hook, one-frame clips;
//   - bad files refused naming the file(s): a module for another UNet width, a truncated file,
//     a pickle global outside the allowed set, a Stable Diffusion checkpoint given as module.
#include "tests/support/ns_test.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/model/safetensors.h"
#include "core/model/sd/motion_file.h"
#include "core/model/sd/motion_module.h"
#include "core/model/sd/sd_model.h"
#include "core/model/sd/sd_video_denoiser.h"

namespace {

namespace fs = std::filesystem;

std::string motionData(const std::string& name) { return nstest::dataDir() + "/motion/" + name; }
std::string sdData(const std::string& name) { return nstest::dataDir() + "/sd/" + name; }
std::string tempRoot() { return (fs::temp_directory_path() / ("ns_tst_motion_" + std::to_string(::getpid()))).string(); }

double relErr(const at::Tensor& got, const at::Tensor& ref) {
  return (got - ref).abs().max().item<double>() / std::max(ref.abs().max().item<double>(), 1e-12);
}

ns::sd::SdLoadOptions tinyOptions(const std::string& motion) {
  ns::sd::SdLoadOptions o;
  o.unetHeads.heads = 2;  // tests/data/sd/sd_tiny_configs.json
  o.textHeads = 2;
  o.tokenizerDir = sdData("tokenizer_tiny");
  o.motionModule = motion;
  return o;
}

bool contains(const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; }

// The clip output of the model with `module` on the fixture inputs.
at::Tensor runClip(const std::string& module, const std::string& checkpoint = sdData("sd1_tiny.safetensors")) {
  auto m = ns::sd::loadSdModel(checkpoint, tinyOptions(module));
  if (!m.ok()) throw std::runtime_error(m.error().message);
  auto in = ns::readSafetensors(motionData("motion_inputs.safetensors"));
  if (!in.ok()) throw std::runtime_error(in.error().message);
  return ns::sd::forwardVideo(*m->unet, *m->motion, in->tensors.at("unet.x"), in->tensors.at("unet.t"),
                              in->tensors.at("unet.context"));
}

at::Tensor reference(const std::string& version) {
  auto ref = ns::readSafetensors(motionData("motion_reference.safetensors"));
  return ref.ok() ? ref->tensors.at(version + ".unet.out") : at::Tensor();
}

}  // namespace

class TstMotionConformance : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { fs::create_directories(tempRoot()); }
  void cleanupTestCase() { fs::remove_all(tempRoot()); }
  void layoutIsReadFromTheWeights();
  void v2MatchesReferenceInEveryNaming();
  void v3MatchesReferenceInEveryNaming();
  void diffusersFolderTakesAMotionModuleToo();
  void videoDenoiserWindowsAndLimits();
  void attentionHookSeesEveryTemporalAttention();
  void realSd15KeyListsFitSd15();
  void mismatchingModuleIsRefusedNamingBothFiles();
  void badFilesAreRefusedNamingTheFile();
};

void TstMotionConformance::layoutIsReadFromTheWeights() {
  using ns::sd::UnetSite;
  for (const char* f : {"mm_tiny_v2.safetensors", "mm_tiny_v2.ckpt", "mm_tiny_v2_diffusers.safetensors"}) {
    auto v2 = ns::sd::readMotionModuleFile(motionData(f));
    QVERIFY2(v2.ok(), v2.ok() ? "" : v2.error().message);
    QVERIFY(v2->config.midBlock);
    QCOMPARE(v2->config.maxFrames, 32);
    QVERIFY(v2->config.maxFramesFromFile);
    QCOMPARE(int(v2->config.modules.size()), 7);  // down 2 + mid 1 + up 4 for the 2-level tiny UNet
    QCOMPARE(v2->config.transformerBlocks, 1);
    QCOMPARE(v2->config.attentionBlocks, 2);
    QCOMPARE(v2->config.naming, std::string(contains(f, "diffusers") ? "diffusers" : "animatediff"));
    QVERIFY(v2->config.modules[2].site == (UnetSite{UnetSite::Part::Mid, 0, 0}));
    QCOMPARE(v2->config.modules[6].site.name(), std::string("up_blocks.1.motion_modules.1"));
    for (const auto& s : v2->config.modules) QCOMPARE(s.channels, 32);
    // Both namings give the same canonical tensors (pe tables dropped: 196 - 14 = 182 original).
    QCOMPARE(int(v2->weights.size()), 182);
  }
  auto v3 = ns::sd::readMotionModuleFile(motionData("mm_tiny_v3_diffusers.safetensors"));
  QVERIFY2(v3.ok(), v3.ok() ? "" : v3.error().message);
  QVERIFY(!v3->config.midBlock);
  QCOMPARE(v3->config.maxFrames, 24);
  QCOMPARE(int(v3->config.modules.size()), 6);
  auto wide = ns::sd::readMotionModuleFile(motionData("mm_wide64_v3.safetensors"));
  QVERIFY(wide.ok());
  QCOMPARE(wide->config.modules[0].channels, 64);
}

void TstMotionConformance::v2MatchesReferenceInEveryNaming() {
  const at::Tensor ref = reference("v2");
  QCOMPARE(ref.sizes().vec(), (std::vector<int64_t>{2, 4, 6, 8, 8}));
  at::Tensor first;
  for (const char* f : {"mm_tiny_v2.safetensors", "mm_tiny_v2.ckpt", "mm_tiny_v2_diffusers.safetensors"}) {
    const at::Tensor got = runClip(motionData(f));
    QCOMPARE(got.sizes().vec(), ref.sizes().vec());
    const double e = relErr(got, ref);
    qInfo("v2 %s: rel err %.3g", f, e);
    QVERIFY2(e < 1e-4, f);
    if (!first.defined()) first = got;
    else QVERIFY2(at::equal(got, first), f);  // same weights, same numbers, whatever the file
  }
  // The modules matter: the image UNet frame by frame is far from the clip output.
  auto img = ns::sd::loadSdModel(sdData("sd1_tiny.safetensors"), tinyOptions(""));
  QVERIFY(img.ok());
  QVERIFY(!img->motion && !img->info.isVideo);
  auto in = ns::readSafetensors(motionData("motion_inputs.safetensors"));
  QVERIFY(in.ok());
  const at::Tensor x = in->tensors.at("unet.x");
  const at::Tensor framewise =
      img->unet->forward(x.permute({0, 2, 1, 3, 4}).reshape({12, 4, 8, 8}), in->tensors.at("unet.t").repeat_interleave(6),
                         in->tensors.at("unet.context").repeat_interleave(6, 0));
  QVERIFY(relErr(framewise.reshape({2, 6, 4, 8, 8}).permute({0, 2, 1, 3, 4}), ref) > 0.1);
}

void TstMotionConformance::v3MatchesReferenceInEveryNaming() {
  const at::Tensor ref = reference("v3");
  for (const char* f : {"mm_tiny_v3.safetensors", "mm_tiny_v3_diffusers.safetensors"}) {
    const double e = relErr(runClip(motionData(f)), ref);
    qInfo("v3 %s: rel err %.3g", f, e);
    QVERIFY2(e < 1e-4, f);
  }
  // v2 and v3 are different modules: the references differ.
  QVERIFY(relErr(reference("v2"), ref) > 0.1);
}

void TstMotionConformance::diffusersFolderTakesAMotionModuleToo() {
  // "any SD 1.5 checkpoint": the .ckpt and the diffusers folder of the same weights.
  auto opts = tinyOptions(motionData("mm_tiny_v3.safetensors"));
  opts.unetHeads = {};  // the folder's config says 2 heads
  auto folder = ns::sd::loadSdModel(sdData("sd1_tiny_diffusers"), opts);
  QVERIFY2(folder.ok(), folder.ok() ? "" : folder.error().message);
  auto in = ns::readSafetensors(motionData("motion_inputs.safetensors"));
  QVERIFY(in.ok());
  const at::Tensor got = ns::sd::forwardVideo(*folder->unet, *folder->motion, in->tensors.at("unet.x"),
                                              in->tensors.at("unet.t"), in->tensors.at("unet.context"));
  QVERIFY(relErr(got, reference("v3")) < 1e-4);
  QVERIFY(relErr(runClip(motionData("mm_tiny_v3.safetensors"), sdData("sd1_tiny.ckpt")), reference("v3")) < 1e-4);
}

void TstMotionConformance::videoDenoiserWindowsAndLimits() {
  auto m = ns::sd::loadSdModel(sdData("sd1_tiny.safetensors"), tinyOptions(motionData("mm_tiny_v3.safetensors")));
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
  QVERIFY(m->info.isVideo);
  QCOMPARE(m->report.motionModules, 6);
  QCOMPARE(m->report.motionMaxFrames, 24);
  QVERIFY(m->report.motionParameters > 0);
  auto bundle = ns::sd::toModelBundle(*m);
  QVERIFY(bundle.ok());
  QVERIFY(bundle->denoiser->info().isVideo);
  auto* video = dynamic_cast<ns::sd::SdVideoDenoiser*>(bundle->denoiser.get());
  QVERIFY(video != nullptr);
  auto in = ns::readSafetensors(motionData("motion_inputs.safetensors"));
  QVERIFY(in.ok());
  const at::Tensor x = in->tensors.at("unet.x"), t = in->tensors.at("unet.t");
  const ns::Conditioning cond{in->tensors.at("unet.context")};
  // The Denoiser door gives the reference numbers.
  QVERIFY(relErr(video->predict(x, t, cond), reference("v3")) < 1e-4);
  // A window of the clip is that sub-clip denoised on its own (positions restart at 0).
  const at::Tensor win = video->predictWindow(x, t, cond, 2, 3);
  QCOMPARE(win.sizes().vec(), (std::vector<int64_t>{2, 4, 3, 8, 8}));
  QVERIFY(at::allclose(win, video->predict(x.narrow(2, 2, 3).contiguous(), t, cond), 1e-5, 1e-6));
  // ...and not the same frames of the whole clip's output: frames see each other.
  QVERIFY(relErr(win, video->predict(x, t, cond).narrow(2, 2, 3)) > 1e-3);
  // More frames than the position table covers: refused with both numbers.
  const at::Tensor longClip = x.narrow(0, 0, 1).repeat({1, 1, 5, 1, 1});  // 30 frames > 24
  try {
    (void)video->predict(longClip, t.narrow(0, 0, 1), ns::Conditioning{cond.context.narrow(0, 0, 1)});
    QFAIL("a 30-frame window was accepted");
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    QVERIFY2(contains(msg, "30") && contains(msg, "24"), msg.c_str());
  }
  // A 4-D x_t is a one-frame clip.
  const at::Tensor one = video->predict(x.select(2, 0), t, cond);
  QCOMPARE(one.sizes().vec(), (std::vector<int64_t>{2, 4, 8, 8}));
  QVERIFY(at::allclose(one, video->predict(x.narrow(2, 0, 1), t, cond).squeeze(2), 1e-5, 1e-6));
}

void TstMotionConformance::attentionHookSeesEveryTemporalAttention() {
  auto m = ns::sd::loadSdModel(sdData("sd1_tiny.safetensors"), tinyOptions(motionData("mm_tiny_v2.safetensors")));
  QVERIFY(m.ok());
  auto in = ns::readSafetensors(motionData("motion_inputs.safetensors"));
  QVERIFY(in.ok());
  const at::Tensor x = in->tensors.at("unet.x"), t = in->tensors.at("unet.t"), c = in->tensors.at("unet.context");
  int calls = 0;
  bool shapesOk = true;
  m->motion->setAttentionHook([&](const ns::sd::UnetSite&, int block, int attn, const at::Tensor& out) {
    ++calls;
    // [B*H*W, F, inner]: 2 clips x (8x8 or 4x4 positions) x 6 frames x 32
    shapesOk = shapesOk && out.dim() == 3 && out.size(1) == 6 && out.size(2) == 32 && block == 0 && attn < 2;
    return out;
  });
  const at::Tensor same = ns::sd::forwardVideo(*m->unet, *m->motion, x, t, c);
  QCOMPARE(calls, 7 * 2);  // 7 modules x 2 temporal attentions
  QVERIFY(shapesOk);
  QVERIFY(relErr(same, reference("v2")) < 1e-4);
  // Replacing the outputs changes the result (the hook is on the computation's path).
  m->motion->setAttentionHook([](const ns::sd::UnetSite&, int, int, const at::Tensor& out) { return out * 0; });
  QVERIFY(relErr(ns::sd::forwardVideo(*m->unet, *m->motion, x, t, c), reference("v2")) > 1e-3);
  m->motion->setAttentionHook({});
}

void TstMotionConformance::realSd15KeyListsFitSd15() {
  // Every tensor of SD 1.5 v2/v3 files (names and shapes from the reference modules at full size,
  // tests/data/motion/keys_mm_sd15_*.txt) as meta tensors: the layout, the fit with SD 1.5's UNet,
  // and exactly the tensors our network expects.
  for (const std::string version : {"v2", "v3"}) {
    std::ifstream in(motionData("keys_mm_sd15_" + version + ".txt"));
    QVERIFY(in.good());
    ns::sd::WeightMap w;
    std::string line;
    int64_t values = 0;
    while (std::getline(in, line)) {
      const auto tab = line.find('\t');
      std::vector<int64_t> shape;
      std::stringstream dims(line.substr(tab + 1));
      for (std::string d; std::getline(dims, d, ',');) shape.push_back(std::stoll(d));
      const std::string name = line.substr(0, tab);
      w[name] = at::empty(shape, at::TensorOptions().device(at::kMeta).dtype(at::kHalf));
      if (!contains(name, "pos_encoder")) values += w[name].numel();
    }
    auto f = ns::sd::motionModuleFromWeights(w, "mm_sd_v15_" + version + ".ckpt");
    QVERIFY2(f.ok(), f.ok() ? "" : f.error().message.c_str());
    QCOMPARE(int(f->config.modules.size()), version == "v2" ? 21 : 20);  // 4x2 down (+ mid) + 4x3 up
    QCOMPARE(f->config.midBlock, version == "v2");
    QCOMPARE(f->config.maxFrames, 32);
    QVERIFY(ns::sd::checkMotionFitsUnet(f->config, ns::sd::sd15UnetConfig(), "mm", "sd15").ok());
    // The reference's parameter counts (make_motion_fixtures.py's report).
    QCOMPARE(values, version == "v2" ? int64_t(453209280) : int64_t(417137600));
    const auto expected = ns::sd::MotionModules::expectedShapes(f->config);
    QCOMPARE(expected.size(), f->weights.size());
    for (const auto& [name, t] : f->weights) {
      auto it = expected.find(name);
      QVERIFY2(it != expected.end(), name.c_str());
      QVERIFY2(it->second == t.sizes().vec(), name.c_str());
    }
  }
  // The tiny module does not fit SD 1.5's 320-channel UNet.
  auto small = ns::sd::readMotionModuleFile(motionData("mm_tiny_v2.safetensors"));
  QVERIFY(small.ok());
  QVERIFY(!ns::sd::checkMotionFitsUnet(small->config, ns::sd::sd15UnetConfig(), "mm", "sd15").ok());
}

void TstMotionConformance::mismatchingModuleIsRefusedNamingBothFiles() {
  const std::string wide = motionData("mm_wide64_v3.safetensors"), ck = sdData("sd1_tiny.safetensors");
  auto m = ns::sd::loadSdModel(ck, tinyOptions(wide));
  QVERIFY(!m.ok());
  const std::string& msg = m.error().message;
  QVERIFY2(m.error().kind == ns::ErrorKind::BadInput, msg.c_str());
  QVERIFY2(contains(msg, wide) && contains(msg, ck) && contains(msg, "64") && contains(msg, "32"), msg.c_str());
  // A module covering only some of the UNet's sites: refused naming the missing site.
  auto full = ns::readSafetensors(motionData("mm_tiny_v3.safetensors"));
  QVERIFY(full.ok());
  std::map<std::string, at::Tensor> part;
  for (const auto& [k, v] : full->tensors)
    if (k.rfind("up_blocks.1.", 0) != 0) part.emplace(k, v);
  const std::string partial = tempRoot() + "/partial.safetensors";
  QVERIFY(ns::writeSafetensors(partial, part).ok());
  auto p = ns::sd::loadSdModel(ck, tinyOptions(partial));
  QVERIFY(!p.ok());
  QVERIFY2(contains(p.error().message, "up_blocks.1.motion_modules.0") && contains(p.error().message, partial),
           p.error().message.c_str());
}

void TstMotionConformance::badFilesAreRefusedNamingTheFile() {
  const std::string ck = sdData("sd1_tiny.safetensors");
  auto refused = [&](const std::string& module, const std::vector<std::string>& words) {
    auto m = ns::sd::loadSdModel(ck, tinyOptions(module));
    if (m.ok()) return std::string("accepted");
    for (const auto& w : words)
      if (!contains(m.error().message, w)) return "'" + w + "' missing from: " + m.error().message;
    if (m.error().kind != ns::ErrorKind::BadInput && m.error().kind != ns::ErrorKind::Io)
      return "not bad input: " + m.error().message;
    return std::string();
  };
  // Truncated: half of the file.
  const std::string truncated = tempRoot() + "/truncated.safetensors";
  {
    std::ifstream in(motionData("mm_tiny_v2.safetensors"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(truncated, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size() / 2));
  }
  std::string why = refused(truncated, {truncated});
  QVERIFY2(why.empty(), why.c_str());
  const std::string truncatedCkpt = tempRoot() + "/truncated.ckpt";
  {
    std::ifstream in(motionData("mm_tiny_v2.ckpt"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(truncatedCkpt, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size() - 100));
  }
  why = refused(truncatedCkpt, {truncatedCkpt});
  QVERIFY2(why.empty(), why.c_str());
  // A pickle that names a global outside the tensor-rebuilding set.
  why = refused(motionData("mm_bad_global.ckpt"), {motionData("mm_bad_global.ckpt"), "argparse"});
  QVERIFY2(why.empty(), why.c_str());
  // A Stable Diffusion checkpoint given as the motion module.
  why = refused(ck, {"not a motion module"});
  QVERIFY2(why.empty(), why.c_str());
  why = refused(tempRoot() + "/missing.safetensors", {"missing.safetensors", "not found"});
  QVERIFY2(why.empty(), why.c_str());
  // Mixed namings in one file.
  auto orig = ns::readSafetensors(motionData("mm_tiny_v3.safetensors"));
  auto diff = ns::readSafetensors(motionData("mm_tiny_v3_diffusers.safetensors"));
  QVERIFY(orig.ok() && diff.ok());
  std::map<std::string, at::Tensor> mixed;
  for (const auto& [k, v] : orig->tensors)
    if (k.rfind("down_", 0) == 0) mixed.emplace(k, v);
  for (const auto& [k, v] : diff->tensors)
    if (k.rfind("up_", 0) == 0) mixed.emplace(k, v);
  const std::string mixedPath = tempRoot() + "/mixed.safetensors";
  QVERIFY(ns::writeSafetensors(mixedPath, mixed).ok());
  why = refused(mixedPath, {mixedPath, "mixes"});
  QVERIFY2(why.empty(), why.c_str());
}

NS_REGISTER_TEST(TstMotionConformance, initTestCase, layoutIsReadFromTheWeights, v2MatchesReferenceInEveryNaming,
                 v3MatchesReferenceInEveryNaming, diffusersFolderTakesAMotionModuleToo, videoDenoiserWindowsAndLimits,
                 attentionHookSeesEveryTemporalAttention, realSd15KeyListsFitSd15, mismatchingModuleIsRefusedNamingBothFiles,
                 badFilesAreRefusedNamingTheFile, cleanupTestCase)
#ifdef NS_HAVE_QTEST
#include "tst_motion_conformance.moc"
#endif
