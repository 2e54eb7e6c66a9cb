// `noisestudio-cli --motion-module FILE` (issue 16): `model run` takes a clip unet.x [B,4,F,h,w]
// and writes unet.out of the same shape, equal to the AnimateDiff reference (tests/data/motion)
// within 1e-4; `model info --json` reports the module's layout; bad modules — one for another UNet
// width, a truncated file, a pickle naming a forbidden global — exit 2 naming the file(s).
#include "tests/support/ns_test.h"

#include "tests/app/cli_test_util.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/model/safetensors.h"

namespace fs = std::filesystem;

namespace {
std::string tempRoot() { return (fs::temp_directory_path() / ("ns_tst_cli_motion_" + std::to_string(::getpid()))).string(); }
std::string sdData(const std::string& n) { return nstest::dataDir() + "/sd/" + n; }
std::string motionData(const std::string& n) { return nstest::dataDir() + "/motion/" + n; }
using clitest::q;
using clitest::Run;
using clitest::runCli;

QStringList tinyFlags(const std::string& module) {
  return {"--unet-heads", "2", "--text-heads", "2", "--tokenizer", q(sdData("tokenizer_tiny")), "--motion-module",
          q(module)};
}
bool contains(const std::string& s, const std::string& p) { return s.find(p) != std::string::npos; }
double relErr(const at::Tensor& got, const at::Tensor& ref) {
  return (got - ref).abs().max().item<double>() / std::max(ref.abs().max().item<double>(), 1e-12);
}
}  // namespace

class TstCliMotion : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { fs::create_directories(tempRoot()); }
  void cleanupTestCase() { fs::remove_all(tempRoot()); }
  void modelRunTakesAClip();
  void modelInfoReportsTheModule();
  void badModulesExitTwoNamingTheFile();
};

void TstCliMotion::modelRunTakesAClip() {
  auto ref = ns::readSafetensors(motionData("motion_reference.safetensors"));
  QVERIFY(ref.ok());
  for (const char* version : {"v2", "v3"}) {
    for (const std::string suffix : {".safetensors", "_diffusers.safetensors"}) {
      const std::string module = motionData(std::string("mm_tiny_") + version + suffix);
      const std::string out = tempRoot() + "/run_" + version + ".safetensors";
      // The global flag after the verb too, as users write it.
      Run r = runCli(QStringList{"model", "run", q(sdData("sd1_tiny.safetensors")), "--inputs",
                                 q(motionData("motion_inputs.safetensors")), "-o", q(out)} +
                     tinyFlags(module));
      QVERIFY2(r.code == 0, r.err.c_str());
      auto got = ns::readSafetensors(out);
      QVERIFY(got.ok());
      const at::Tensor g = got->tensors.at("unet.out"), e = ref->tensors.at(std::string(version) + ".unet.out");
      QCOMPARE(g.sizes().vec(), (std::vector<int64_t>{2, 4, 6, 8, 8}));
      const double err = relErr(g, e);
      qInfo("model run %s: rel err %.3g", module.c_str(), err);
      QVERIFY2(err < 1e-4, module.c_str());
    }
  }
  // Without a motion module the same clip runs frame by frame through the image UNet: same shape,
  // other numbers.
  const std::string out = tempRoot() + "/run_image.safetensors";
  Run r = runCli({"--unet-heads", "2", "--text-heads", "2", "model", "run", q(sdData("sd1_tiny.safetensors")), "--inputs",
                  q(motionData("motion_inputs.safetensors")), "-o", q(out)});
  QVERIFY2(r.code == 0, r.err.c_str());
  auto img = ns::readSafetensors(out);
  QVERIFY(img.ok());
  QCOMPARE(img->tensors.at("unet.out").sizes().vec(), (std::vector<int64_t>{2, 4, 6, 8, 8}));
  QVERIFY(relErr(img->tensors.at("unet.out"), ref->tensors.at("v2.unet.out")) > 0.1);
}

void TstCliMotion::modelInfoReportsTheModule() {
  Run r = runCli(QStringList{"--json"} + tinyFlags(motionData("mm_tiny_v2.ckpt")) +
                 QStringList{"model", "info", q(sdData("sd1_tiny.safetensors"))});
  QVERIFY2(r.code == 0, r.err.c_str());
  const auto j = nlohmann::json::parse(r.out).at("motion_module");
  QCOMPARE(j.at("naming").get<std::string>(), std::string("animatediff"));
  QCOMPARE(j.at("modules").get<int>(), 7);
  QCOMPARE(j.at("mid_block").get<bool>(), true);
  QCOMPARE(j.at("max_frames").get<int>(), 32);
  // 7 modules of 32 channels, 32 wide, 1 block of 2 attentions: norm 64 + proj_in 1056 +
  // 2 x (3 x 1024 + 1056 + 64) + ff (8448 + 4128) + ff_norm 64 + proj_out 1056 = 23,200 each.
  QCOMPARE(j.at("parameters").get<int64_t>(), int64_t(7 * 23200));
  Run v3 = runCli(QStringList{"--json"} + tinyFlags(motionData("mm_tiny_v3_diffusers.safetensors")) +
                  QStringList{"model", "info", q(sdData("sd1_tiny.safetensors"))});
  QVERIFY2(v3.code == 0, v3.err.c_str());
  const auto j3 = nlohmann::json::parse(v3.out).at("motion_module");
  QCOMPARE(j3.at("naming").get<std::string>(), std::string("diffusers"));
  QCOMPARE(j3.at("mid_block").get<bool>(), false);
  QCOMPARE(j3.at("max_frames").get<int>(), 24);
}

void TstCliMotion::badModulesExitTwoNamingTheFile() {
  const std::string ck = sdData("sd1_tiny.safetensors");
  auto run = [&](const std::string& module) {
    return runCli(tinyFlags(module) + QStringList{"model", "run", q(ck), "--inputs",
                                                  q(motionData("motion_inputs.safetensors")), "-o",
                                                  q(tempRoot() + "/bad.safetensors")});
  };
  const std::string wide = motionData("mm_wide64_v3.safetensors");
  Run r = run(wide);
  QCOMPARE(r.code, 2);
  QVERIFY2(contains(r.err, wide) && contains(r.err, ck), r.err.c_str());
  const std::string truncated = tempRoot() + "/truncated.ckpt";
  {
    std::ifstream in(motionData("mm_tiny_v2.ckpt"), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(truncated, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size() * 2 / 3));
  }
  r = run(truncated);
  QCOMPARE(r.code, 2);
  QVERIFY2(contains(r.err, truncated), r.err.c_str());
  const std::string global = motionData("mm_bad_global.ckpt");
  r = run(global);
  QCOMPARE(r.code, 2);
  QVERIFY2(contains(r.err, global) && contains(r.err, "argparse"), r.err.c_str());
  QVERIFY(!fs::exists(tempRoot() + "/bad.safetensors"));  // nothing written on failure
}

NS_REGISTER_TEST(TstCliMotion, initTestCase, modelRunTakesAClip, modelInfoReportsTheModule,
                 badModulesExitTwoNamingTheFile, cleanupTestCase)
#ifdef NS_HAVE_QTEST
#include "tst_cli_motion.moc"
#endif
