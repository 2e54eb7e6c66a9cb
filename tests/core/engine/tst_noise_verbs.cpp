// Tests core/engine noise verbs with an exact integer pan flow and a tiny random built-in model:
// warped noise keeps unit statistics and follows the pan; slerp interpolation reproduces the DDIM
// reconstructions at f = 0 and 1 and keeps latent std at f = 0.5 (lerp loses it); search returns
// the argmax of its reported scores. The video path (DIS flow from a written clip) is tested in
// tests/app/tst_cli_noise.cpp (needs ns_media).
#include "tests/support/torch_first.h"

#include "tests/support/ns_test.h"

#include <c10/core/InferenceMode.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "core/diffusion/ddim_inversion.h"
#include "core/diffusion/noise_schedule.h"
#include "core/engine/engine_common.h"
#include "core/engine/noise_verbs.h"
#include "core/model/builtin_model.h"
#include "core/noise/noise_ops.h"
#include "core/noise/noise_stats.h"
#include "tests/core/model/tiny_model_folder.h"

namespace fs = std::filesystem;

namespace {
std::string tempRoot() { return (fs::temp_directory_path() / ("ns_tst_noise_verbs_" + std::to_string(::getpid()))).string(); }
at::Tensor pattern(int size, double fx, double fy, double phase) {
  auto y = at::linspace(0, 1, size).view({size, 1}), x = at::linspace(0, 1, size).view({1, size});
  auto r = at::sin(x * fx * 6.28 + phase) * at::cos(y * fy * 6.28);
  auto g = at::cos(x * fy * 6.28 - phase) * 0.8;
  auto b = (x - y) * 0.9 + 0 * y;
  return at::stack({r, g.expand({size, size}), b}).clamp(-1, 1);
}
}  // namespace

class TstNoiseVerbs : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void cleanupTestCase();
  void warpFollowsIntegerPan();
  void interpolateEndpointsAndVariance();
  void searchReturnsArgmax();

 private:
  ns::ModelBundle m_model;
};

void TstNoiseVerbs::initTestCase() {
  fs::remove_all(tempRoot());
  nstest::writeTinyModelFolder(tempRoot() + "/model", 21);
  auto m = ns::loadBuiltinModel(tempRoot() + "/model");
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
  m_model = *m;
}

void TstNoiseVerbs::cleanupTestCase() { fs::remove_all(tempRoot()); }

void TstNoiseVerbs::warpFollowsIntegerPan() {
  const int F = 6, H = 128, W = 128, pan = 4, down = 4;
  at::Tensor flows = at::zeros({F - 1, 2, H, W});
  flows.select(1, 0).fill_(double(pan));
  ns::WarpNoiseRequest req;
  req.channels = 4;
  req.height = H / down;
  req.width = W / down;
  req.seed = 7;
  ns::JobContext ctx;
  auto res = ns::warpNoiseFromFlow(flows, req, ctx);
  QVERIFY2(res.ok(), res.ok() ? "" : res.error().message);
  QCOMPARE(res->noise.size(0), int64_t(F));
  QCOMPARE(res->noise.size(2), int64_t(H / down));
  for (int f = 0; f < F; ++f) {
    const auto& s = res->stats[size_t(f)];
    QVERIFY2(std::abs(s.mean) < 0.05 && std::abs(s.std - 1) < 0.05,
             "frame " + std::to_string(f) + " mean " + std::to_string(s.mean) + " std " + std::to_string(s.std));
    if (f == 0) continue;
    // Content moves by pan/down latent pixels per frame; compare away from the entering column.
    at::Tensor shifted = ns::NoiseOps::shift(res->noise[f - 1], pan / down, 0);
    const int m = 2;
    double c = ns::NoiseStats::correlation(res->noise[f].slice(2, m, W / down - m), shifted.slice(2, m, W / down - m));
    double c0 = ns::NoiseStats::correlation(res->noise[f], res->noise[f - 1]);
    QVERIFY2(c > 0.5 && c > c0, "frame " + std::to_string(f) + " corr with shifted previous " + std::to_string(c) +
                                    " (unshifted " + std::to_string(c0) + ")");
  }
  // Metadata and the project path's degradation use the same γ derivation.
  QCOMPARE(res->metadata.at("format"), std::string("noisestudio-warped-noise"));
  at::Tensor heat = ns::noiseHeatmap(res->noise);
  QCOMPARE(heat.size(1), int64_t(3));
  QVERIFY2(heat.min().item<double>() >= -1.0 && heat.max().item<double>() <= 1.0, "heat map out of [-1,1]");
}

void TstNoiseVerbs::interpolateEndpointsAndVariance() {
  const int S = m_model.pixelSize();
  ns::InterpolateRequest req;
  req.imageA = pattern(S, 2, 1, 0);
  req.imageB = pattern(S, 1, 3, 2.5).flip({2}) * -1;
  req.frames = 3;
  req.steps = 4;
  req.prompt = "a red ball on grass";
  ns::JobContext ctx;
  auto slerp = ns::interpolateImages(m_model, req, ctx);
  QVERIFY2(slerp.ok(), slerp.ok() ? "" : slerp.error().message);
  req.method = ns::InterpolationMethod::Lerp;
  auto lerp = ns::interpolateImages(m_model, req, ctx);
  QVERIFY2(lerp.ok(), lerp.ok() ? "" : lerp.error().message);

  // Reference: each image inverted and regenerated alone (DDIM, guidance 1).
  c10::InferenceMode guard;
  auto schedule = ns::NoiseSchedule::fromConfig(m_model.denoiser->info().schedule);
  QVERIFY(schedule.ok());
  auto prompts = ns::engine::encodePrompts(m_model, req.prompt, "");
  QVERIFY(prompts.ok());
  ns::DdimInversion inv(*m_model.denoiser, *schedule);
  const at::Tensor* imgs[2] = {&req.imageA, &req.imageB};
  for (int e = 0; e < 2; ++e) {
    at::Tensor z0 = m_model.codec->encode(imgs[e]->unsqueeze(0));
    auto w = inv.invert(z0, schedule->timesteps(req.steps), prompts->cond, prompts->uncond, 1.0, ctx);
    QVERIFY(w.ok());
    auto x = inv.regenerate(*w, prompts->cond, prompts->uncond, 1.0, ctx);
    QVERIFY(x.ok());
    at::Tensor ref = m_model.codec->decode(*x)[0];
    double err = (slerp->frames[e == 0 ? 0 : 2] - ref).abs().max().item<double>();
    QVERIFY2(err < 1e-3, "endpoint " + std::to_string(e) + " differs from its DDIM reconstruction by " + std::to_string(err));
  }
  const double ends = 0.5 * (slerp->latentStd[0] + slerp->latentStd[2]);
  QVERIFY2(std::abs(slerp->latentStd[1] / ends - 1) < 0.1 && lerp->latentStd[1] / ends < 0.9,
           "latent std at f=0.5: slerp " + std::to_string(slerp->latentStd[1]) + ", lerp " +
               std::to_string(lerp->latentStd[1]) + ", endpoints " + std::to_string(ends));
}

void TstNoiseVerbs::searchReturnsArgmax() {
  for (auto method : {ns::NoiseSearchMethod::Random, ns::NoiseSearchMethod::ZeroOrder}) {
    ns::SearchNoiseRequest req;
    req.prompt = "a red ball on grass";
    req.method = method;
    req.candidates = 5;
    req.iterations = 2;
    req.neighbours = 2;
    req.steps = 2;
    req.seed = 3;
    ns::JobContext ctx;
    auto res = ns::searchNoise(m_model, req, ctx);
    QVERIFY2(res.ok(), res.ok() ? "" : res.error().message);
    const size_t expected = method == ns::NoiseSearchMethod::Random ? 5 : 1 + 2 * 2;
    QVERIFY2(res->scores.size() == expected, "scores " + std::to_string(res->scores.size()));
    auto best = std::max_element(res->scores.begin(), res->scores.end());
    QCOMPARE(res->bestIndex, int(best - res->scores.begin()));
    QCOMPARE(res->bestScore, *best);
    QVERIFY2(res->bestScore >= res->firstScore, "best " + std::to_string(res->bestScore) + " first " + std::to_string(res->firstScore));
    QCOMPARE(res->image.size(-1), int64_t(m_model.pixelSize()));
  }
}

NS_REGISTER_TEST(TstNoiseVerbs, initTestCase, warpFollowsIntegerPan, interpolateEndpointsAndVariance, searchReturnsArgmax,
                 cleanupTestCase)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_noise_verbs.moc"
#endif
