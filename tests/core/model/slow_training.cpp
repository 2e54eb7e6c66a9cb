// Tests app/train (noisestudio-train) end to end on a tiny CPU run: the exported folder loads with
// ns::loadBuiltinModel and runs, the UNet's probe loss (fixed scenes, t and noise) goes down,
// --resume continues from the saved step, and SIGTERM saves a checkpoint that --resume picks up.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/model/builtin_model.h"
#include "core/model/model_bundle.h"
#include "core/model/verifier.h"

namespace {

namespace fs = std::filesystem;

#ifdef NS_TRAIN_PATH
const char* trainerPath() { return NS_TRAIN_PATH; }
#else
const char* trainerPath() { return nullptr; }
#endif

// Each function runs the trainer (minutes on a busy 2-core machine): raise Qt Test's 5-minute
// per-function watchdog unless the caller set QTEST_FUNCTION_TIMEOUT. Runs before main().
[[maybe_unused]] const bool kWatchdogRaised = [] { return ::setenv("QTEST_FUNCTION_TIMEOUT", "1500000", 0) == 0; }();

std::string makeTempDir() {
  std::string tmpl = (fs::temp_directory_path() / "ns-train-XXXXXX").string();
  return ::mkdtemp(tmpl.data()) ? tmpl : std::string();
}

std::string readFile(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// Starts the trainer with `args`, stdout+stderr to `logPath`. Returns its pid.
pid_t startTrainer(const std::vector<std::string>& args, const std::string& logPath) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(trainerPath()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(trainerPath(), argv.data());
    ::_exit(127);
  }
  return pid;
}

int waitTrainer(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int runTrainer(const std::vector<std::string>& args, const std::string& logPath) {
  return waitTrainer(startTrainer(args, logPath));
}

// Options of a tiny run on 2 CPU cores; callers add --stage and steps.
std::vector<std::string> tinyArgs(const std::string& dir) {
  return {"--device", "cpu", "--seed", "7", "--dataset", "192", "--dataset-cls", "192", "--held-out", "64",
          "--batch", "8", "--lr", "1e-3", "--threads", "2", "--progress-s", "0.2",
          "--out", dir + "/out", "--work", dir + "/work"};
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& more) {
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

nlohmann::json modelJson(const std::string& dir) { return nlohmann::json::parse(readFile(dir + "/out/model.json")); }

}  // namespace

class SlowTraining : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void tinyRunExportsLoadableModel();
  void resumeContinuesFromSavedStep();
  void sigtermSavesCheckpoint();
  void cleanupTestCase();

 private:
  std::string m_dir;
};

void SlowTraining::initTestCase() {
  if (!trainerPath()) QSKIP("noisestudio-train is not built in this configuration (NS_TRAIN_PATH unset)");
  m_dir = makeTempDir();
  QVERIFY2(!m_dir.empty(), "cannot create a temp dir");
}

void SlowTraining::cleanupTestCase() {
  if (!m_dir.empty() && !std::getenv("NS_KEEP_TEST_DIR")) {
    std::error_code ec;
    fs::remove_all(m_dir, ec);
  }
}

void SlowTraining::tinyRunExportsLoadableModel() {
  if (!trainerPath()) QSKIP("noisestudio-train is not built (NS_TRAIN_PATH unset)");
  const std::string log = m_dir + "/all.log";
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = runTrainer(
      with(tinyArgs(m_dir), {"--stage", "all", "--steps-ae", "10", "--steps-unet", "30", "--steps-cls", "10"}), log);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  QVERIFY2(rc == 0, ("trainer exit " + std::to_string(rc) + "; log:\n" + readFile(log)).c_str());
  std::fprintf(stderr, "tiny --stage all run: %.1f s\n", seconds);
  for (const char* f : {"model.json", "weights.safetensors", "verifier.safetensors"})
    QVERIFY2(fs::exists(m_dir + "/out/" + f), (std::string("missing ") + f).c_str());

  const nlohmann::json j = modelJson(m_dir);
  QCOMPARE(j["id"].get<std::string>(), std::string(ns::kBuiltinModelId));
  QCOMPARE(j["prediction"].get<std::string>(), std::string("epsilon"));
  QCOMPARE(j["training"]["steps"]["unet"].get<int>(), 30);
  QCOMPARE(j["training"]["steps"]["autoencoder"].get<int>(), 10);
  QCOMPARE(j["training"]["steps"]["classifier"].get<int>(), 10);
  const double scale = j["latent"]["scale"].get<double>();
  QVERIFY2(scale > 0 && std::isfinite(scale), ("latent scale " + std::to_string(scale)).c_str());
  QVERIFY(j.contains("verifier_accuracy"));
  const double p0 = j["training"]["stages"]["unet"]["probe_loss_start"].get<double>();
  const double p1 = j["training"]["stages"]["unet"]["probe_loss_end"].get<double>();
  std::fprintf(stderr, "probe loss %.4f -> %.4f after 30 steps\n", p0, p1);
  QVERIFY2(p1 < p0, ("UNet probe loss did not go down: " + std::to_string(p0) + " -> " + std::to_string(p1)).c_str());

  auto bundle = ns::loadBuiltinModel(m_dir + "/out", "cpu");
  QVERIFY2(bundle.ok(), bundle.ok() ? "" : bundle.error().message.c_str());
  QVERIFY(bundle->valid());
  QVERIFY2(bundle->verifier != nullptr, "verifier.safetensors was not loaded");
  QCOMPARE(bundle->pixelSize(), 64);
  at::Generator gen = at::detail::createCPUGenerator(3);
  const at::Tensor x = at::randn({2, 4, 16, 16}, gen, at::TensorOptions());
  const at::Tensor t = at::full({2}, 500, at::kLong);
  ns::Conditioning cond;
  cond.context = at::zeros({2, 16}, at::kLong);
  const at::Tensor eps = bundle->denoiser->predict(x, t, cond);
  QVERIFY2(eps.sizes().equals(x.sizes()), "denoiser output shape differs from x_t");
  QVERIFY2(at::isfinite(eps).all().item<bool>(), "denoiser output is not finite");
}

void SlowTraining::resumeContinuesFromSavedStep() {
  if (!trainerPath()) QSKIP("noisestudio-train is not built (NS_TRAIN_PATH unset)");
  // Continues the UNet of the previous test (30 steps) to 40.
  if (!fs::exists(m_dir + "/work/unet.ckpt")) QSKIP("needs the checkpoint of tinyRunExportsLoadableModel");
  const std::string log = m_dir + "/resume.log";
  const int rc = runTrainer(with(tinyArgs(m_dir), {"--stage", "unet", "--resume", "--steps-unet", "40"}), log);
  const std::string out = readFile(log);
  QVERIFY2(rc == 0, ("trainer exit " + std::to_string(rc) + "; log:\n" + out).c_str());
  QVERIFY2(out.find("resuming at step 30/40") != std::string::npos, ("no resume line in:\n" + out).c_str());
  const nlohmann::json j = modelJson(m_dir);
  QCOMPARE(j["training"]["steps"]["unet"].get<int>(), 40);
  QCOMPARE(j["training"]["stages"]["unet"]["resumed_from_step"].get<int>(), 30);
  // A resume with another seed would train on other data: refused with a clear message.
  std::vector<std::string> args = with(tinyArgs(m_dir), {"--stage", "unet", "--resume", "--steps-unet", "50"});
  args[3] = "8";  // --seed 8
  const int bad = runTrainer(args, m_dir + "/bad.log");
  const std::string badOut = readFile(m_dir + "/bad.log");
  QVERIFY2(bad == 2, ("expected exit 2 for a seed mismatch, got " + std::to_string(bad) + ":\n" + badOut).c_str());
  QVERIFY2(badOut.find("--seed 7") != std::string::npos, badOut.c_str());
}

void SlowTraining::sigtermSavesCheckpoint() {
  if (!trainerPath()) QSKIP("noisestudio-train is not built (NS_TRAIN_PATH unset)");
  // A fresh UNet run (no --resume) with far too many steps, stopped by SIGTERM once it trains.
  if (!fs::exists(m_dir + "/work/autoencoder.ckpt")) QSKIP("needs the autoencoder of tinyRunExportsLoadableModel");
  const std::string log = m_dir + "/term.log";
  const pid_t pid = startTrainer(with(tinyArgs(m_dir), {"--stage", "unet", "--steps-unet", "100000"}), log);
  QVERIFY(pid > 0);
  bool training = false;
  for (int i = 0; i < 1200 && !training; ++i) {  // up to 120 s to start
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    training = readFile(log).find("[unet] step ") != std::string::npos;
  }
  ::kill(pid, SIGTERM);
  const int rc = waitTrainer(pid);
  const std::string out = readFile(log);
  QVERIFY2(training, ("the trainer never reported a UNet step:\n" + out).c_str());
  QVERIFY2(rc == 130, ("expected exit 130 after SIGTERM, got " + std::to_string(rc) + ":\n" + out).c_str());

  const std::string log2 = m_dir + "/term-resume.log";
  // The interrupted run saved step k >= 1; resuming to a target of k+2 must start at k.
  const std::string line = out.substr(out.rfind("[unet] step "));
  const int k = std::atoi(line.c_str() + std::string("[unet] step ").size());
  QVERIFY2(k >= 1, ("no step count in: " + line).c_str());
  const int rc2 = runTrainer(
      with(tinyArgs(m_dir), {"--stage", "unet", "--resume", "--steps-unet", std::to_string(k + 2)}), log2);
  const std::string out2 = readFile(log2);
  QVERIFY2(rc2 == 0, ("resume after SIGTERM failed: " + out2).c_str());
  const nlohmann::json j = modelJson(m_dir);
  const int resumedFrom = j["training"]["stages"]["unet"]["resumed_from_step"].get<int>();
  QVERIFY2(resumedFrom >= k, ("resumed from " + std::to_string(resumedFrom) + ", last reported step " +
                               std::to_string(k)).c_str());
  QCOMPARE(j["training"]["steps"]["unet"].get<int>(), std::max(resumedFrom, k + 2));
}

NS_REGISTER_TEST(SlowTraining, initTestCase, tinyRunExportsLoadableModel, resumeContinuesFromSavedStep,
                 sigtermSavesCheckpoint, cleanupTestCase)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "slow_training.moc"
#endif
