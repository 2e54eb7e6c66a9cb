// Conformance of the native Stable Diffusion parts with the reference implementations (CompVis /
// Stability ldm for the UNet and VAE, openai CLIP and OpenCLIP for the text towers), on the tiny
// random-weight checkpoints of the real layouts in tests/data/sd/ (made by
// tools/sd_fixtures/make_sd_fixtures.py from the reference checkouts; its README says how):
//   - every part (text.hidden, unet.out, vae.decoded, vae.mean) within 1e-4 relative, SD 1.x
//     (CLIP ViT-L layout, conv proj, ε) and SD 2.x (OpenCLIP layout, linear proj, penultimate
//     layer, v), run through `loadSdModel` as users' files are;
//   - a 4-step DDIM generation with classifier-free guidance from the fixture's x_T within 1/255
//     per pixel of the reference pipeline;
//   - the diffusers folder and the .ckpt of the same weights give the same outputs as the single file.
#include "tests/support/ns_test.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/engine/engine.h"
#include "core/jobs/job_context.h"
#include "core/model/safetensors.h"
#include "core/model/sd/sd_model.h"

namespace {

namespace fs = std::filesystem;

std::string sdData(const std::string& name) { return nstest::dataDir() + "/sd/" + name; }

double relErr(const at::Tensor& got, const at::Tensor& ref) {
  return (got - ref).abs().max().item<double>() / std::max(ref.abs().max().item<double>(), 1e-12);
}

ns::sd::SdLoadOptions tinyOptions(bool sd2) {
  ns::sd::SdLoadOptions o;
  // The tiny fixtures split attention differently from the real models (which the family defaults
  // cover): SD 1.x-style 2 heads; SD 2.x-style 8-wide heads (4 of them); text 2 heads
  // (tests/data/sd/sd_tiny_configs.json).
  if (sd2) o.unetHeads.headDim = 8;
  else o.unetHeads.heads = 2;
  o.textHeads = 2;
  o.tokenizerDir = sdData("tokenizer_tiny");
  if (sd2) o.prediction = ns::PredictionType::VPrediction;
  return o;
}

// Runs every part present in `inputs` and returns the outputs by the `model run` names.
std::map<std::string, at::Tensor> runParts(ns::sd::SdModel& m, const std::map<std::string, at::Tensor>& in) {
  std::map<std::string, at::Tensor> out;
  if (in.count("text.ids")) out["text.hidden"] = m.text->forward(in.at("text.ids").to(at::kLong));
  out["unet.out"] = m.unet->forward(in.at("unet.x").to(at::kFloat), in.at("unet.t").to(at::kLong),
                                    in.at("unet.context").to(at::kFloat));
  out["vae.decoded"] = m.vae->decode(in.at("vae.z").to(at::kFloat));
  out["vae.mean"] = m.vae->encodeMean(in.at("vae.image").to(at::kFloat));
  return out;
}

}  // namespace

class TstSdConformance : public QObject {
  Q_OBJECT
  void checkGeneration(const std::string& family, const std::string& file, bool sd2,
                       const std::string& genFile = std::string());

 private slots:
  void initTestCase();
  void sd1PartsMatchReference();
  void sd2PartsMatchReference();
  void sd1DdimGenerationMatchesReference();
  void sd2DdimGenerationMatchesReference();
  void diffusersFolderEqualsSingleFile();
  void ckptEqualsSingleFile();
  // Portraits and landscapes: latents whose height and width differ (tests/data/sd/sd1_nonsquare_*,
  // tools/sd_fixtures/make_sd_nonsquare_fixture.py).
  void sd1NonSquarePartsMatchReference();
  void sd1NonSquareGenerationMatchesReference();
  void generateHonoursWidthAndHeight();
};

void TstSdConformance::initTestCase() {
  if (!fs::exists(sdData("sd1_tiny.safetensors")))
    QFAIL("tests/data/sd/ is missing: regenerate with tools/sd_fixtures/make_sd_fixtures.py");
}

void TstSdConformance::sd1PartsMatchReference() {
  auto m = ns::sd::loadSdModel(sdData("sd1_tiny.safetensors"), tinyOptions(false));
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
  QCOMPARE(m->report.family, std::string("sd1"));
  QCOMPARE(m->report.prediction, std::string("epsilon"));
  auto in = ns::readSafetensors(sdData("sd1_inputs.safetensors"));
  auto ref = ns::readSafetensors(sdData("sd1_reference.safetensors"));
  QVERIFY(in.ok() && ref.ok());
  for (const auto& [name, got] : runParts(*m, in->tensors)) {
    const double e = relErr(got, ref->tensors.at(name));
    qInfo("%s: relative error %.3g", name.c_str(), e);
    QVERIFY2(e < 1e-4, name + ": relative error " + std::to_string(e));
  }
}

void TstSdConformance::sd2PartsMatchReference() {
  auto m = ns::sd::loadSdModel(sdData("sd2_tiny_v.safetensors"), tinyOptions(true));
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
  QCOMPARE(m->report.family, std::string("sd2"));
  auto in = ns::readSafetensors(sdData("sd2_inputs.safetensors"));
  auto ref = ns::readSafetensors(sdData("sd2_reference.safetensors"));
  QVERIFY(in.ok() && ref.ok());
  for (const auto& [name, got] : runParts(*m, in->tensors)) {
    const double e = relErr(got, ref->tensors.at(name));
    qInfo("%s: relative error %.3g", name.c_str(), e);
    QVERIFY2(e < 1e-4, name + ": relative error " + std::to_string(e));
  }
}

void TstSdConformance::sd1DdimGenerationMatchesReference() { checkGeneration("sd1", "sd1_tiny.safetensors", false); }
void TstSdConformance::sd2DdimGenerationMatchesReference() { checkGeneration("sd2", "sd2_tiny_v.safetensors", true); }

void TstSdConformance::checkGeneration(const std::string& family, const std::string& file, bool sd2,
                                       const std::string& genFile) {
  std::ifstream jf(sdData(family + "_gen.json"));
  QVERIFY(jf.good());
  const nlohmann::json spec = nlohmann::json::parse(jf);
  auto gen = ns::readSafetensors(sdData(genFile.empty() ? family + "_gen.safetensors" : genFile));
  QVERIFY(gen.ok());
  auto m = ns::sd::loadSdModel(sdData(file), tinyOptions(sd2));
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
  auto bundle = ns::sd::toModelBundle(*m);
  QVERIFY2(bundle.ok(), bundle.ok() ? "" : bundle.error().message);
  ns::GenerateRequest req;
  req.prompt = spec.at("prompt").get<std::string>();
  req.negativePrompt = spec.value("negative", std::string());
  req.steps = spec.at("steps").get<int>();
  req.cfg = spec.at("cfg").get<double>();
  req.eta = 0.0;
  req.initialNoise = gen->tensors.at("noise");
  ns::JobContext ctx;
  auto res = ns::generate(*bundle, req, ctx);
  QVERIFY2(res.ok(), res.ok() ? "" : res.error().message);
  const at::Tensor ref = gen->tensors.at("image").to(at::kFloat);  // [1,3,H,W] in [0,1]
  const auto& f = res->frames;
  QCOMPARE(f.count, 1);
  QCOMPARE(int64_t(f.height), ref.size(2));
  QCOMPARE(int64_t(f.width), ref.size(3));
  at::Tensor got = at::from_blob(const_cast<float*>(f.data.data()), {1, 3, f.height, f.width}).clone();
  const double worst = (got - ref).abs().max().item<double>() * 255.0;
  qInfo("%s generation: max pixel difference %.4f/255", family.c_str(), worst);
  QVERIFY2(worst <= 1.0, "max pixel difference " + std::to_string(worst) + "/255");
}

void TstSdConformance::diffusersFolderEqualsSingleFile() {
  if (!fs::exists(sdData("sd1_tiny_diffusers/model_index.json"))) QFAIL("the diffusers fixture is missing");
  auto a = ns::sd::loadSdModel(sdData("sd1_tiny.safetensors"), tinyOptions(false));
  ns::sd::SdLoadOptions o = tinyOptions(false);
  o.tokenizerDir.clear();  // the folder brings its own tokenizer
  o.unetHeads = {};        // and its configs say the head splits
  o.textHeads = 0;
  auto b = ns::sd::loadSdModel(sdData("sd1_tiny_diffusers"), o);
  QVERIFY2(a.ok() && b.ok(), a.ok() ? b.error().message : a.error().message);
  QCOMPARE(b->report.layout, std::string("diffusers"));
  auto in = ns::readSafetensors(sdData("sd1_inputs.safetensors"));
  QVERIFY(in.ok());
  auto ra = runParts(*a, in->tensors), rb = runParts(*b, in->tensors);
  for (const auto& [name, t] : ra) QVERIFY2(at::equal(t, rb.at(name)), name + " differs between the layouts");
  auto ea = a->conditioner->encode("a red ball"), eb = b->conditioner->encode("a red ball");
  QVERIFY(ea.ok() && eb.ok());
  QVERIFY(at::equal(ea->cond.context, eb->cond.context));
}

void TstSdConformance::ckptEqualsSingleFile() {
  if (!fs::exists(sdData("sd1_tiny.ckpt"))) QFAIL("the .ckpt fixture is missing");
  auto a = ns::sd::loadSdModel(sdData("sd1_tiny.safetensors"), tinyOptions(false));
  auto b = ns::sd::loadSdModel(sdData("sd1_tiny.ckpt"), tinyOptions(false));
  QVERIFY2(a.ok() && b.ok(), a.ok() ? b.error().message : a.error().message);
  QCOMPARE(b->report.layout, std::string("ckpt"));
  auto in = ns::readSafetensors(sdData("sd1_inputs.safetensors"));
  QVERIFY(in.ok());
  auto ra = runParts(*a, in->tensors), rb = runParts(*b, in->tensors);
  for (const auto& [name, t] : ra) QVERIFY2(at::equal(t, rb.at(name)), name + " differs between .ckpt and .safetensors");
}


void TstSdConformance::sd1NonSquarePartsMatchReference() {
  auto m = ns::sd::loadSdModel(sdData("sd1_tiny.safetensors"), tinyOptions(false));
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
  auto in = ns::readSafetensors(sdData("sd1_nonsquare_inputs.safetensors"));
  auto ref = ns::readSafetensors(sdData("sd1_nonsquare_reference.safetensors"));
  QVERIFY(in.ok() && ref.ok());
  const auto got = runParts(*m, in->tensors);
  for (const auto& [name, expected] : ref->tensors) {
    QVERIFY2(got.count(name), name + " was not computed");
    QCOMPARE(got.at(name).sizes().vec(), expected.sizes().vec());
    const double e = relErr(got.at(name), expected);
    qInfo("non-square %s %s: relative error %.3g", name.c_str(), c10::str(expected.sizes()).c_str(), e);
    QVERIFY2(e < 1e-4, name + ": relative error " + std::to_string(e));
  }
}

void TstSdConformance::sd1NonSquareGenerationMatchesReference() {
  // x_T [1,4,8,12]: a 96 x 64 landscape, the same prompt and settings as sd1_gen.json.
  checkGeneration("sd1", "sd1_tiny.safetensors", false, "sd1_nonsquare_gen.safetensors");
}

void TstSdConformance::generateHonoursWidthAndHeight() {
  auto m = ns::sd::loadSdModel(sdData("sd1_tiny.safetensors"), tinyOptions(false));
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
  auto bundle = ns::sd::toModelBundle(*m);
  QVERIFY2(bundle.ok(), bundle.ok() ? "" : bundle.error().message);
  ns::GenerateRequest req;
  req.prompt = "a red ball";
  req.steps = 1;
  req.cfg = 1.0;
  req.width = 48;
  req.height = 80;
  ns::JobContext ctx;
  auto portrait = ns::generate(*bundle, req, ctx);
  QVERIFY2(portrait.ok(), portrait.ok() ? "" : portrait.error().message);
  QCOMPARE(portrait->frames.width, 48);
  QCOMPARE(portrait->frames.height, 80);
  // The same seed at width x height draws the same noise as an explicit x_T of that shape.
  req.initialNoise = at::randn({1, 4, 10, 6}, at::detail::createCPUGenerator(req.seed));
  auto given = ns::generate(*bundle, req, ctx);
  QVERIFY2(given.ok(), given.ok() ? "" : given.error().message);
  QCOMPARE(given->frames.data, portrait->frames.data);
  req.initialNoise = at::Tensor();

  req.height = 0;  // one side alone
  auto one = ns::generate(*bundle, req, ctx);
  QVERIFY(!one.ok());
  QVERIFY2(one.error().message.find("both width and height") != std::string::npos, one.error().message);
  req.height = 84;  // not on the 8 px grid
  auto off = ns::generate(*bundle, req, ctx);
  QVERIFY(!off.ok());
  QVERIFY2(off.error().message.find("height") != std::string::npos &&
               off.error().message.find("84") != std::string::npos,
           off.error().message);
}

NS_REGISTER_TEST(TstSdConformance, initTestCase, sd1PartsMatchReference, sd2PartsMatchReference,
                 sd1DdimGenerationMatchesReference, sd2DdimGenerationMatchesReference, diffusersFolderEqualsSingleFile,
                 ckptEqualsSingleFile, sd1NonSquarePartsMatchReference, sd1NonSquareGenerationMatchesReference,
                 generateHonoursWidthAndHeight)
#ifdef NS_HAVE_QTEST
#include "tst_sd_conformance.moc"
#endif
