// `noisestudio-cli` on Stable Diffusion checkpoints (the tiny reference fixtures in tests/data/sd):
// `model info --json` reports family, prediction and per-part parameter counts; `model run` writes
// the parts' outputs, equal to the reference implementation's within 1e-4; `generate --noise` with
// DDIM eta 0 and CFG reproduces the reference pipeline's image (PNG, within 1/255 + rounding);
// bad input — a truncated file, a header that promises more bytes than the file has, an SDXL
// checkpoint, a malicious .ckpt, a diffusers folder missing its UNet — exits 2 naming the file.
#include "tests/support/ns_test.h"

#include "tests/app/cli_test_util.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/media/image_io.h"
#include "core/model/safetensors.h"

namespace fs = std::filesystem;

namespace {
std::string tempRoot() { return (fs::temp_directory_path() / ("ns_tst_cli_sd_" + std::to_string(::getpid()))).string(); }
std::string sdData(const std::string& n) { return nstest::dataDir() + "/sd/" + n; }
using clitest::q;
using clitest::Run;
using clitest::runCli;

// The tiny fixtures split attention differently from real SD (tests/data/sd/sd_tiny_configs.json).
QStringList sd1Flags() {
  return {"--unet-heads", "2", "--text-heads", "2", "--tokenizer", clitest::q(sdData("tokenizer_tiny"))};
}
bool contains(const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; }
double relErr(const at::Tensor& got, const at::Tensor& ref) {
  return (got - ref).abs().max().item<double>() / std::max(ref.abs().max().item<double>(), 1e-12);
}
}  // namespace

class TstCliSdModel : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { fs::create_directories(tempRoot()); }
  void cleanupTestCase() { fs::remove_all(tempRoot()); }
  void modelInfoReportsTheCheckpoint();
  void modelRunMatchesReference();
  void generateFromGivenNoiseMatchesReference();
  void badCheckpointsExitTwoNamingTheFile();
  void generateAtWidthAndHeight();
};

void TstCliSdModel::modelInfoReportsTheCheckpoint() {
  Run r = runCli(QStringList{"--json"} + sd1Flags() + QStringList{"model", "info", q(sdData("sd1_tiny.safetensors"))});
  QVERIFY2(r.code == 0, r.err);
  const auto j = nlohmann::json::parse(r.out);
  QCOMPARE(j.at("family").get<std::string>(), std::string("sd1"));
  QCOMPARE(j.at("layout").get<std::string>(), std::string("safetensors"));
  QCOMPARE(j.at("prediction").get<std::string>(), std::string("epsilon"));
  // The fixture generator's own counts (tests/data/sd/README.md): UNet 361,892, VAE 367,527, text 47,200.
  QCOMPARE(j.at("parameters").at("unet").get<int64_t>(), int64_t(361892));
  QCOMPARE(j.at("parameters").at("vae").get<int64_t>(), int64_t(367527));
  QCOMPARE(j.at("parameters").at("text").get<int64_t>(), int64_t(47200));
  QVERIFY(j.at("storage_dtypes").contains("F16"));
  QVERIFY(j.at("load_seconds").get<double>() > 0 && j.at("resident_bytes").get<int64_t>() > 0);
  // The diffusers folder of the same weights, with its own tokenizer and head split.
  Run d = runCli({"--json", "model", "info", q(sdData("sd1_tiny_diffusers"))});
  QVERIFY2(d.code == 0, d.err);
  const auto jd = nlohmann::json::parse(d.out);
  QCOMPARE(jd.at("layout").get<std::string>(), std::string("diffusers"));
  QCOMPARE(jd.at("parameters").at("unet").get<int64_t>(), int64_t(361892));
}

void TstCliSdModel::modelRunMatchesReference() {
  const std::string out = tempRoot() + "/run.safetensors";
  Run r = runCli(sd1Flags() + QStringList{"model", "run", q(sdData("sd1_tiny.safetensors")), "--inputs",
                                          q(sdData("sd1_inputs.safetensors")), "-o", q(out)});
  QVERIFY2(r.code == 0, r.err);
  auto got = ns::readSafetensors(out), ref = ns::readSafetensors(sdData("sd1_reference.safetensors"));
  QVERIFY(got.ok() && ref.ok());
  for (const char* name : {"text.hidden", "unet.out", "vae.decoded", "vae.mean"}) {
    QVERIFY2(got->tensors.count(name), name);
    const double e = relErr(got->tensors.at(name), ref->tensors.at(name));
    QVERIFY2(e < 1e-4, std::string(name) + ": " + std::to_string(e));
  }
}

void TstCliSdModel::generateFromGivenNoiseMatchesReference() {
  std::ifstream jf(sdData("sd1_gen.json"));
  const auto spec = nlohmann::json::parse(jf);
  auto gen = ns::readSafetensors(sdData("sd1_gen.safetensors"));
  QVERIFY(gen.ok());
  const std::string noise = tempRoot() + "/xT.safetensors", png = tempRoot() + "/gen.png";
  QVERIFY(ns::writeSafetensors(noise, {{"noise", gen->tensors.at("noise")[0]}}).ok());  // [4,h,w]
  Run r = runCli(sd1Flags() + QStringList{"--model", q(sdData("sd1_tiny.safetensors")), "generate", "--prompt",
                                          q(spec.at("prompt").get<std::string>()), "--noise", q(noise), "--sampler",
                                          "ddim", "--eta", "0", "--steps", "4", "--cfg", "7.5", "-o", q(png)});
  QVERIFY2(r.code == 0, r.err);
  auto img = ns::media::readImage(png);
  QVERIFY2(img.ok(), img.ok() ? "" : img.error().message);
  const at::Tensor ref = gen->tensors.at("image")[0];  // [3,H,W] in [0,1]
  QCOMPARE(img->sizes(), ref.sizes());
  // 8-bit PNG: within 1/255 of the reference plus half a level of rounding.
  const double worst = ((*img + 1) / 2 - ref).abs().max().item<double>() * 255.0;
  QVERIFY2(worst <= 1.5, "max difference " + std::to_string(worst) + "/255");
}

void TstCliSdModel::generateAtWidthAndHeight() {
  // A portrait from the prompt alone: --width/--height set both sides; off-grid sides exit 2 naming
  // the side and the grid.
  const std::string png = tempRoot() + "/portrait.png";
  const QStringList base = sd1Flags() + QStringList{"--model", q(sdData("sd1_tiny.safetensors")), "generate",
                                                    "--prompt", "a red ball", "--steps", "1", "-o", q(png)};
  Run r = runCli(base + QStringList{"--width", "48", "--height", "80"});
  QVERIFY2(r.code == 0, r.err);
  auto img = ns::media::readImage(png);
  QVERIFY2(img.ok(), img.ok() ? "" : img.error().message);
  QCOMPARE(img->size(1), int64_t(80));
  QCOMPARE(img->size(2), int64_t(48));
  Run bad = runCli(base + QStringList{"--width", "50", "--height", "80"});
  QCOMPARE(bad.code, 2);
  QVERIFY2(bad.err.find("width") != std::string::npos && bad.err.find("50") != std::string::npos &&
               bad.err.find("multiple of 8") != std::string::npos, bad.err);
}

void TstCliSdModel::badCheckpointsExitTwoNamingTheFile() {
  std::ifstream in(sdData("sd1_tiny.safetensors"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  auto expectTwo = [&](const std::string& path, const std::string& says) {
    Run r = runCli(sd1Flags() + QStringList{"model", "info", q(path)});
    QVERIFY2(r.code == 2, "exit " + std::to_string(r.code) + ": " + r.err);
    QVERIFY2(contains(r.err, path) && contains(r.err, says), r.err);
  };
  const std::string cut = tempRoot() + "/cut.safetensors";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  expectTwo(cut, "truncated");
  // A header whose length field promises more than the file has.
  std::string big = bytes;
  const uint64_t huge = bytes.size() * 4;
  std::memcpy(big.data(), &huge, 8);
  const std::string lying = tempRoot() + "/lying.safetensors";
  std::ofstream(lying, std::ios::binary) << big;
  expectTwo(lying, "past the end of the file");
  const std::string sdxl = tempRoot() + "/sdxl.safetensors";
  QVERIFY(ns::writeSafetensors(sdxl, {{"model.diffusion_model.input_blocks.0.0.weight", at::zeros({4, 4, 3, 3})},
                                      {"conditioner.embedders.0.transformer.text_model.final_layer_norm.weight",
                                       at::zeros({4})}})
              .ok());
  expectTwo(sdxl, "SDXL");
  expectTwo(nstest::dataDir() + "/ckpt/malicious.ckpt", "system");  // its pickle calls os.system: refused, not run
  const std::string folder = tempRoot() + "/no_unet";
  fs::copy(sdData("sd1_tiny_diffusers"), folder, fs::copy_options::recursive);
  for (const auto& e : fs::directory_iterator(folder + "/unet"))
    if (e.path().extension() == ".safetensors") fs::remove(e.path());
  expectTwo(folder, "unet");
}

NS_REGISTER_TEST(TstCliSdModel, initTestCase, modelInfoReportsTheCheckpoint, modelRunMatchesReference,
                 generateFromGivenNoiseMatchesReference, badCheckpointsExitTwoNamingTheFile, generateAtWidthAndHeight,
                 cleanupTestCase)
#ifdef NS_HAVE_QTEST
#include "tst_cli_sd_model.moc"
#endif
