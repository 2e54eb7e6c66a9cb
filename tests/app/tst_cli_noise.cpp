// Tests `noisestudio-cli warp` on a synthetic panning clip (cut from tests/data/astronaut_128.png
// with a known integer pan, written lossless with writeVideo): the saved noise has unit per-frame
// statistics and frame k+1 matches frame k shifted by the (downsampled) pan. Also: a missing
// input exits with code 2 for warp, interpolate and search-style inputs.
#include "tests/support/ns_test.h"

#include "tests/app/cli_test_util.h"

#include <cmath>
#include <QProcess>
#include <unistd.h>

#include <filesystem>

#include "core/media/image_io.h"
#include "core/media/video_io.h"
#include "core/model/safetensors.h"
#include "core/noise/noise_ops.h"
#include "core/noise/noise_stats.h"

namespace fs = std::filesystem;

namespace {
std::string tempRoot() { return (fs::temp_directory_path() / ("ns_tst_cli_noise_" + std::to_string(::getpid()))).string(); }
using clitest::Run;
using clitest::runCli;
using clitest::q;
}  // namespace

class TstCliNoise : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void cleanupTestCase();
  void warpPanningClip();
  void missingInputExitsTwo();
};

void TstCliNoise::initTestCase() {
  fs::remove_all(tempRoot());
  fs::create_directories(tempRoot());
}

void TstCliNoise::cleanupTestCase() { fs::remove_all(tempRoot()); }

void TstCliNoise::warpPanningClip() {
  auto img = ns::media::readImage(nstest::dataDir() + "/astronaut_128.png");
  QVERIFY2(img.ok(), img.ok() ? "" : img.error().message);
  // A 64×64 window moving left by 4 px per frame: the content moves +4 px in x per frame.
  const int F = 6, S = 64, pan = 4, down = 4;
  std::vector<at::Tensor> frames;
  for (int k = 0; k < F; ++k) frames.push_back(img->slice(1, 32, 32 + S).slice(2, 40 - pan * k, 40 - pan * k + S));
  const std::string video = tempRoot() + "/pan.mkv", out = tempRoot() + "/noise.safetensors";
  auto w = ns::media::writeVideo(video, at::stack(frames), 8.0);
  QVERIFY2(w.ok(), w.ok() ? "" : w.error().message);
  Run r = runCli({"--json", "warp", q(video), "-o", q(out), "--size", "16x16", "--seed", "5", "--preview",
                  q(tempRoot() + "/heat.mp4")});
  QVERIFY2(r.code == 0, "exit " + std::to_string(r.code) + ": " + r.err + r.out);
  QVERIFY2(r.out.find("\"temporal_correlation\"") != std::string::npos, r.out);
  QVERIFY(fs::exists(tempRoot() + "/heat.mp4"));
  auto file = ns::readSafetensors(out);
  QVERIFY2(file.ok(), file.ok() ? "" : file.error().message);
  QCOMPARE(file->metadata.at("format"), std::string("noisestudio-warped-noise"));
  at::Tensor n = file->tensors.at("noise");
  QCOMPARE(n.size(0), int64_t(F));
  QCOMPARE(n.size(3), int64_t(S / down));
  // Unit Gaussian per frame, to 4 standard errors of n = C·h·w samples (mean: 1/√n, std: 1/√(2n)).
  // (A fixed 0.05 was 1.6 standard errors of the mean at 4×16×16: it held for one seed by luck and
  // failed once the warper's fresh noise got its own stream.)
  const double n1 = double(n[0].numel()), meanTol = 4.0 / std::sqrt(n1), sdTol = 4.0 / std::sqrt(2.0 * n1);
  for (int f = 0; f < F; ++f) {
    const double mean = n[f].mean().item<double>(), sd = n[f].std(false).item<double>();
    QVERIFY2(std::abs(mean) < meanTol && std::abs(sd - 1) < sdTol,
             "frame " + std::to_string(f) + " mean " + std::to_string(mean) + " std " + std::to_string(sd));
    if (f == 0) continue;
    at::Tensor prev = ns::NoiseOps::shift(n[f - 1], pan / down, 0);
    const int m = 2;
    double c = ns::NoiseStats::correlation(n[f].slice(2, m, S / down - m).slice(1, m, S / down - m),
                                           prev.slice(2, m, S / down - m).slice(1, m, S / down - m));
    QVERIFY2(c > 0.5, "frame " + std::to_string(f) + " corr with shifted previous " + std::to_string(c));
  }
}

void TstCliNoise::missingInputExitsTwo() {
  const std::string missing = tempRoot() + "/nope.mp4";
  Run a = runCli({"warp", q(missing), "-o", q(tempRoot() + "/x.safetensors")});
  QVERIFY2(a.code == 2, "warp exit " + std::to_string(a.code) + " " + a.err);
  Run b = runCli({"interpolate", q(tempRoot() + "/a.png"), q(tempRoot() + "/b.png"), "-o", q(tempRoot() + "/x.mp4")});
  QVERIFY2(b.code == 2, "interpolate exit " + std::to_string(b.code) + " " + b.err);
}

NS_REGISTER_TEST(TstCliNoise, initTestCase, warpPanningClip, missingInputExitsTwo, cleanupTestCase)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_cli_noise.moc"
#endif
