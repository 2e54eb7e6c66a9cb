// Real-size behaviour without real weights (issue 15, item 7): a full-size SD 1.5-shaped checkpoint
// of random weights, stored F16 in the single-file layout (~2 GB) in a temp folder, loads through
// loadSdModel with the parameter counts of the real SD 1.5 (UNet 859,520,964; VAE 83,653,863; CLIP
// text 123,060,480), and one 512² UNet step, one 512² VAE decode and a prompt encoding run.
// Prints the load time against one plain read of the file, and the resident memory.
#include "tests/support/ns_test.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "core/model/safetensors.h"
#include "core/model/sd/sd_model.h"
#include "core/model/sd/sd_unet.h"
#include "core/model/sd/sd_vae.h"
#include "tests/core/model/sd_text_fixtures.h"

namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
}  // namespace

class SlowSdFullSize : public QObject {
  Q_OBJECT
 private slots:
  void sd15ShapedFileLoadsAndRuns();
};

void SlowSdFullSize::sd15ShapedFileLoadsAndRuns() {
  const fs::path dir = fs::temp_directory_path() / ("ns_slow_sd_full_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "sd15_random.safetensors").string();
  {
    const ns::sd::UnetConfig u = ns::sd::sd15UnetConfig();  // v1-inference.yaml's UNet
    const ns::sd::VaeConfig v = ns::sd::sdVaeConfig();
    std::map<std::string, at::Tensor> file;
    // The real SD 1.5 file's names and shapes (tests/data/sd/keys_sd15.txt, from the reference code).
    std::map<std::string, std::string> real;
    {
      std::ifstream in(nstest::dataDir() + "/sd/keys_sd15.txt");
      std::string line;
      while (std::getline(in, line))
        if (auto tab = line.find('\t'); tab != std::string::npos) real[line.substr(0, tab)] = line.substr(tab + 1);
    }
    auto shapeText = [](const at::Tensor& t) {
      std::string s;
      for (int64_t d : t.sizes()) s += (s.empty() ? "" : ",") + std::to_string(d);
      return s;
    };
    int matched = 0;
    auto checkNames = [&](const std::map<std::string, at::Tensor>& state) {
      for (const auto& [k, t] : state) {
        auto it = real.find(k);
        QVERIFY2(it != real.end(), "the real SD 1.5 file has no tensor " + k);
        QVERIFY2(it->second == shapeText(t), k + ": " + shapeText(t) + " vs the real " + it->second);
        ++matched;
      }
    };
    {
      auto unet = ns::sd::SdUnet::createRandom(u, 1);
      QCOMPARE(unet->parameterCount(), int64_t(859520964));
      checkNames(unet->state("model.diffusion_model."));
      for (auto& [k, t] : unet->state("model.diffusion_model.")) file[k] = t.to(at::kHalf);
    }
    {
      auto vae = ns::sd::SdVae::createRandom(v, 2);
      QCOMPARE(vae->parameterCount(), int64_t(83653863));
      checkNames(vae->state("first_stage_model."));
      int realUnetVae = 0;
      for (const auto& [k, shape] : real)
        if (k.rfind("model.diffusion_model.", 0) == 0 || k.rfind("first_stage_model.", 0) == 0) ++realUnetVae;
      QCOMPARE(matched, realUnetVae);  // and none of the real file's UNet/VAE tensors is left over
      for (auto& [k, t] : vae->state("first_stage_model.")) file[k] = t.to(at::kHalf);
    }
    for (auto& [k, t] : sdtext::randomTower({49408, 768, 12, 77, 3072}, 3, at::kHalf))
      file["cond_stage_model.transformer." + k] = t;
    const auto tw = Clock::now();
    QVERIFY(ns::writeSafetensors(path, file).ok());
    std::printf("wrote %s: %.2f GB in %.1f s\n", path.c_str(), double(fs::file_size(path)) / 1e9, secondsSince(tw));
  }
  // One plain read of the file (warm cache after the write): what loading is measured against.
  const auto tr = Clock::now();
  {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> buf(64 << 20);
    while (in.read(buf.data(), std::streamsize(buf.size())) || in.gcount() > 0) {}
  }
  const double readSeconds = secondsSince(tr);

  ns::sd::SdLoadOptions o;
  o.tokenizerDir = nstest::dataDir() + "/clip_tiny";  // the real vocabulary is not in the repository
  auto m = ns::sd::loadSdModel(path, o);
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
  const auto& r = m->report;
  QCOMPARE(r.family, std::string("sd1"));
  QCOMPARE(r.unetParameters, int64_t(859520964));
  QCOMPARE(r.vaeParameters, int64_t(83653863));
  QCOMPARE(r.textParameters, int64_t(123060480));
  QCOMPARE(r.storageDtypes.at("F16") > 1000, true);
  std::printf("load %.1f s = %.1f x one read of the file (%.1f s); resident %.2f GB, peak %.2f GB\n", r.loadSeconds,
              r.loadSeconds / std::max(readSeconds, 1e-3), readSeconds, double(r.residentBytes) / 1e9,
              double(r.peakResidentBytes) / 1e9);

  auto bundle = ns::sd::toModelBundle(*m);
  QVERIFY2(bundle.ok(), bundle.ok() ? "" : bundle.error().message);
  auto enc = bundle->text->encode("a cat");
  QVERIFY(enc.ok());
  QCOMPARE(enc->cond.context.sizes(), (at::IntArrayRef{1, 77, 768}));
  at::manual_seed(4);
  const auto ts = Clock::now();
  at::Tensor eps = bundle->denoiser->predict(at::randn({1, 4, 64, 64}), at::tensor({999}, at::kLong), enc->cond);
  const double stepSeconds = secondsSince(ts);
  QCOMPARE(eps.sizes(), (at::IntArrayRef{1, 4, 64, 64}));
  QVERIFY(at::isfinite(eps).all().item<bool>());
  const auto td = Clock::now();
  at::Tensor img = bundle->codec->decode(at::randn({1, 4, 64, 64}));
  std::printf("512² UNet step (batch 1) %.1f s, VAE decode %.1f s\n", stepSeconds, secondsSince(td));
  QCOMPARE(img.sizes(), (at::IntArrayRef{1, 3, 512, 512}));
  std::error_code ec;
  if (std::getenv("NS_KEEP_FULL_SIZE_SD")) {  // keep the file, e.g. to try `noisestudio-cli model info` on it
    std::printf("kept %s\n", path.c_str());
    return;
  }
  fs::remove_all(dir, ec);
}

NS_REGISTER_TEST(SlowSdFullSize, sd15ShapedFileLoadsAndRuns)
#ifdef NS_HAVE_QTEST
#include "slow_sd_full_size.moc"
#endif
