// Tests core/model/builtin_model.h and the built-in Denoiser/Codec/TextConditioner/Verifier:
// a tiny random model folder (written like noisestudio-train writes it) loads; image and video
// predictions have the right shapes and video folding equals per-frame prediction; the codec
// applies latent.scale; loader errors name the file and field; unknown words are reported; the
// verifier's score is log p(colour) + log p(shape); and a fixed-seed 10-step DDIM generation is
// reproducible (tiny model always; the shipped weights when resources/models/builtin has them).
#include "tests/support/ns_test.h"

#include "tests/support/torch_first.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "core/diffusion/ddim_sampler.h"
#include "core/diffusion/noise_schedule.h"
#include "core/model/autoencoder_codec.h"
#include "core/model/builtin_model.h"
#include "core/model/shapes_verifier.h"
#include "core/model/vocabulary.h"
#include "core/model/vocabulary_conditioner.h"
#include "tests/core/model/tiny_model_folder.h"

namespace fs = std::filesystem;

namespace {

std::string tempRoot() {
  return (fs::temp_directory_path() / ("ns_tst_builtin_model_" + std::to_string(::getpid()))).string();
}

// A fresh copy of the tiny model folder under `name`.
std::string tinyFolder(const std::string& name, nlohmann::json* json = nullptr) {
  const std::string dir = tempRoot() + "/" + name;
  fs::remove_all(dir);
  auto j = nstest::writeTinyModelFolder(dir, 11);
  if (json) *json = j;
  return dir;
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

at::Tensor randn(at::IntArrayRef shape, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return at::randn(shape, gen, at::TensorOptions());
}

// Fixed-seed N-step DDIM with CFG, decoded to pixels.
ns::Result<at::Tensor> generate(ns::ModelBundle& m, const std::string& prompt, uint64_t seed, int steps) {
  c10::InferenceMode guard;
  auto sched = ns::NoiseSchedule::fromConfig(m.denoiser->info().schedule);
  if (!sched) return sched.error();
  auto cond = m.text->encode(prompt);
  if (!cond) return cond.error();
  const int s = m.denoiser->info().sampleSize;
  at::Tensor xT = randn({1, m.denoiser->info().channels, s, s}, seed);
  ns::JobContext ctx;
  auto x0 = ns::sampleDdim(*m.denoiser, *sched, xT, sched->timesteps(steps), cond->cond, m.text->unconditional(),
                           3.0, 0.0, nullptr, ctx);
  if (!x0) return x0.error();
  return m.codec->decode(*x0);
}

}  // namespace

class TstBuiltinModel : public QObject {
  Q_OBJECT
 private slots:
  void loadsTinyFolder();
  void denoiserImageAndVideo();
  void codecAppliesLatentScale();
  void loaderErrorsNameFileAndField();
  void conditionerReportsUnknownWords();
  void verifierScoreIsLogProbability();
  void findsModelDirFromEnvironment();
  void tinyModelGenerationIsReproducible();
  void shippedModelGeneratesReproducibly();
  void cudaMatchesCpu();
  void cleanupTestCase();
};

void TstBuiltinModel::loadsTinyFolder() {
  const std::string dir = tinyFolder("load");
  auto m = ns::loadBuiltinModel(dir);
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
  QVERIFY(m->valid());
  QVERIFY(m->verifier != nullptr);
  const auto& info = m->denoiser->info();
  QCOMPARE(info.id, std::string(ns::kBuiltinModelId));
  QCOMPARE(info.channels, 4);
  QCOMPARE(info.sampleSize, 16);
  QCOMPARE(info.sizeMultiple, 4);
  QVERIFY(info.prediction == ns::PredictionType::Epsilon);
  QVERIFY(info.schedule.beta == ns::BetaSchedule::ScaledLinear);
  QCOMPARE(info.schedule.trainSteps, 1000);
  QCOMPARE(info.schedule.stepsOffset, 1);
  QVERIFY(info.schedule.spacing == ns::TimestepSpacing::Leading);
  QCOMPARE(m->codec->downscale(), 4);
  QCOMPARE(m->pixelSize(), 64);
  QCOMPARE(m->device, std::string("cpu"));
  // Without a verifier file the model still loads.
  fs::remove(dir + "/verifier.safetensors");
  auto noVerifier = ns::loadBuiltinModel(dir);
  QVERIFY2(noVerifier.ok(), noVerifier.ok() ? "" : noVerifier.error().message);
  QVERIFY(noVerifier->verifier == nullptr);
}

void TstBuiltinModel::denoiserImageAndVideo() {
  auto m = ns::loadBuiltinModel(tinyFolder("video"));
  QVERIFY(m.ok());
  auto& d = *m->denoiser;
  auto cond = m->text->encode("a red ball on grass");
  QVERIFY(cond.ok());
  auto img = d.predict(randn({2, 4, 16, 16}, 1), torch::tensor({900, 20}, torch::kLong), cond->cond);
  QVERIFY(img.sizes() == at::IntArrayRef({2, 4, 16, 16}));
  QVERIFY(torch::isfinite(img).all().item<bool>());
  QVERIFY2(img.abs().mean().item<double>() > 1e-4, "prediction is zero: the weights did not load");
  // Video [1,4,5,16,16]: frames are denoised independently, so frame f equals an image prediction.
  auto video = randn({1, 4, 5, 16, 16}, 2);
  auto t = torch::tensor({500}, torch::kLong);
  auto out = d.predict(video, t, cond->cond);
  QVERIFY(out.sizes() == video.sizes());
  double worst = 0;
  for (int64_t f = 0; f < 5; ++f) {
    auto single = d.predict(video.select(2, f), t, cond->cond);
    worst = std::max(worst, (single - out.select(2, f)).abs().max().item<double>());
  }
  QVERIFY2(worst < 1e-5, "video frame differs from image prediction by " + std::to_string(worst));
  // Deterministic: same inputs, same numbers.
  QVERIFY(torch::equal(out, d.predict(video, t, cond->cond)));
  // A conditioning batch that fits neither 1 nor B is refused with a readable message.
  bool threw = false;
  try {
    d.predict(randn({3, 4, 16, 16}, 3), torch::tensor({1, 2, 3}, torch::kLong),
              ns::Conditioning::cat(cond->cond, cond->cond));
  } catch (const c10::Error& e) {
    threw = has(e.what(), "conditioning batch 2");
  }
  QVERIFY2(threw, "mismatched conditioning batch was not refused");
}

void TstBuiltinModel::codecAppliesLatentScale() {
  nlohmann::json j;
  const std::string dir = tinyFolder("scale", &j);
  auto a = ns::loadBuiltinModel(dir);
  j["latent"]["scale"] = 3.0;  // 2× the default 1.5
  nstest::writeJson(dir + "/model.json", j);
  auto b = ns::loadBuiltinModel(dir);
  QVERIFY(a.ok() && b.ok());
  auto img = randn({2, 3, 64, 64}, 4).clamp(-1, 1);
  auto za = a->codec->encode(img), zb = b->codec->encode(img);
  QVERIFY(za.sizes() == at::IntArrayRef({2, 4, 16, 16}));
  const double ratio = (zb.norm() / za.norm()).item<double>();
  QVERIFY2(std::abs(ratio - 2.0) < 1e-4, "latent scale ratio " + std::to_string(ratio) + ", expected 2");
  auto xa = a->codec->decode(za), xb = b->codec->decode(zb);  // decode undoes the scale
  QVERIFY(xa.sizes() == img.sizes());
  QVERIFY2((xa - xb).abs().max().item<double>() < 1e-4, "decode(encode) depends on the latent scale");
  QVERIFY(xa.max().item<double>() <= 1.0 && xa.min().item<double>() >= -1.0);
  auto* codec = dynamic_cast<ns::AutoencoderCodec*>(b->codec.get());
  QVERIFY(codec && codec->latentScale() == 3.0);
}

void TstBuiltinModel::loaderErrorsNameFileAndField() {
  // Missing model.json.
  const std::string empty = tempRoot() + "/empty";
  fs::create_directories(empty);
  auto r = ns::loadBuiltinModel(empty);
  QVERIFY(!r.ok());
  QVERIFY2(has(r.error().message, empty + "/model.json"), r.error().message);

  // Unknown prediction type.
  nlohmann::json j;
  const std::string dir = tinyFolder("errors", &j);
  auto bad = j;
  bad["prediction"] = "x_start";
  nstest::writeJson(dir + "/model.json", bad);
  r = ns::loadBuiltinModel(dir);
  QVERIFY(!r.ok());
  QVERIFY2(has(r.error().message, "model.json") && has(r.error().message, "'prediction'") &&
               has(r.error().message, "x_start"),
           r.error().message);

  // Bad and missing schedule fields, bad latent scale, mismatched vocabulary.
  bad = j;
  bad["schedule"]["beta_schedule"] = "sigmoid";
  nstest::writeJson(dir + "/model.json", bad);
  r = ns::loadBuiltinModel(dir);
  QVERIFY2(!r.ok() && has(r.error().message, "'schedule.beta_schedule'"), r.ok() ? "loaded" : r.error().message);
  bad = j;
  bad["schedule"].erase("train_steps");
  nstest::writeJson(dir + "/model.json", bad);
  r = ns::loadBuiltinModel(dir);
  QVERIFY2(!r.ok() && has(r.error().message, "'schedule.train_steps' is missing"), r.ok() ? "loaded" : r.error().message);
  // The same schedule rules as model packs (core/model/schedule_fields.cpp): offset < train_steps.
  bad = j;
  bad["schedule"]["steps_offset"] = 1000;
  nstest::writeJson(dir + "/model.json", bad);
  r = ns::loadBuiltinModel(dir);
  QVERIFY2(!r.ok() && has(r.error().message, "'schedule.steps_offset' must be in [0, train_steps)"),
           r.ok() ? "loaded" : r.error().message);
  bad = j;
  bad["schedule"]["beta_end"] = 1.5;
  nstest::writeJson(dir + "/model.json", bad);
  r = ns::loadBuiltinModel(dir);
  QVERIFY2(!r.ok() && has(r.error().message, "'schedule.beta_end' must lie in (0, 1)"), r.ok() ? "loaded" : r.error().message);
  bad = j;
  bad["latent"]["scale"] = -1;
  nstest::writeJson(dir + "/model.json", bad);
  r = ns::loadBuiltinModel(dir);
  QVERIFY2(!r.ok() && has(r.error().message, "'latent.scale'"), r.ok() ? "loaded" : r.error().message);
  bad = j;
  bad["vocabulary"][3] = "zebra";
  nstest::writeJson(dir + "/model.json", bad);
  r = ns::loadBuiltinModel(dir);
  QVERIFY2(!r.ok() && has(r.error().message, "'vocabulary'") && has(r.error().message, "index 3"),
           r.ok() ? "loaded" : r.error().message);
  bad = j;
  bad["architecture"]["unet"]["base_channels"] = "wide";
  nstest::writeJson(dir + "/model.json", bad);
  r = ns::loadBuiltinModel(dir);
  QVERIFY2(!r.ok() && has(r.error().message, "'architecture.unet'"), r.ok() ? "loaded" : r.error().message);
  nstest::writeJson(dir + "/model.json", j);
  QVERIFY(ns::loadBuiltinModel(dir).ok());

  // Missing tensor and wrong shape in weights.safetensors.
  const std::string weights = dir + "/weights.safetensors";
  auto file = ns::readSafetensors(weights);
  QVERIFY(file.ok());
  auto tensors = file->tensors;
  tensors.erase("unet.mid_attn.block.cross_attn.k.weight");
  QVERIFY(ns::writeSafetensors(weights, tensors).ok());
  r = ns::loadBuiltinModel(dir);
  QVERIFY(!r.ok());
  QVERIFY2(has(r.error().message, weights) && has(r.error().message, "missing tensor 'unet.mid_attn.block.cross_attn.k.weight'"),
           r.error().message);
  tensors = file->tensors;
  tensors["autoencoder.dec_out.weight"] = torch::zeros({3, 5, 3, 3}, torch::kHalf);
  QVERIFY(ns::writeSafetensors(weights, tensors).ok());
  r = ns::loadBuiltinModel(dir);
  QVERIFY(!r.ok());
  QVERIFY2(has(r.error().message, weights) && has(r.error().message, "'autoencoder.dec_out.weight'") &&
               has(r.error().message, "[3, 5, 3, 3]"),
           r.error().message);
  // Weights file missing altogether: named.
  fs::remove(weights);
  r = ns::loadBuiltinModel(dir);
  QVERIFY2(!r.ok() && has(r.error().message, weights), r.ok() ? "loaded" : r.error().message);
  // Unknown device.
  r = ns::loadBuiltinModel(tinyFolder("device"), "gpu0");
  QVERIFY2(!r.ok() && has(r.error().message, "gpu0"), r.ok() ? "loaded" : r.error().message);
}

void TstBuiltinModel::conditionerReportsUnknownWords() {
  ns::VocabularyConditioner text;
  auto e = text.encode("a red zebra on grass, quickly");
  QVERIFY(e.ok());
  QVERIFY(e->unknownWords == std::vector<std::string>({"zebra", "quickly"}));
  QVERIFY(e->cond.context.sizes() == at::IntArrayRef({1, ns::Vocabulary::kMaxTokens}));
  QVERIFY(e->cond.context.scalar_type() == at::kLong);
  QCOMPARE(e->cond.context[0][2].item<int64_t>(), int64_t(1));  // "zebra" -> <unk>
  QCOMPARE(e->cond.context[0][1].item<int64_t>(), int64_t(ns::Vocabulary::indexOf(ns::Vocabulary::words(), "red")));
  auto known = text.encode("a blue star in the sky");
  QVERIFY(known.ok() && known->unknownWords.empty());
  auto uncond = text.unconditional();
  QCOMPARE(uncond.context.abs().sum().item<int64_t>(), int64_t(0));
}

void TstBuiltinModel::verifierScoreIsLogProbability() {
  auto m = ns::loadBuiltinModel(tinyFolder("verifier"));
  QVERIFY(m.ok());
  auto* v = dynamic_cast<ns::ShapesVerifier*>(m->verifier.get());
  QVERIFY(v);
  auto images = randn({3, 3, 64, 64}, 5).clamp(-1, 1);
  auto p = v->classify(images);
  QVERIFY(p.colour.sizes() == at::IntArrayRef({3}) && p.shape.sizes() == at::IntArrayRef({3}));
  QVERIFY(p.background.max().item<int64_t>() < int64_t(ns::Vocabulary::backgrounds().size()));
  QVERIFY(v->features(images).sizes() == at::IntArrayRef({3, 16}));
  // Query the classifier's own arg-max for image 0: score = log(p_colour · p_shape).
  const std::string colour = ns::Vocabulary::colours()[size_t(p.colour[0].item<int64_t>())];
  const std::string shape = ns::Vocabulary::shapes()[size_t(p.shape[0].item<int64_t>())];
  auto s = v->score(images, ns::VerifierQuery{"a " + colour + " " + shape + " on grass", {}});
  QVERIFY(s.sizes() == at::IntArrayRef({3}));
  const double expect = std::log(p.colourProb[0].item<double>() * p.shapeProb[0].item<double>());
  QVERIFY2(std::abs(s[0].item<double>() - expect) < 1e-4,
           "score " + std::to_string(s[0].item<double>()) + " vs log p " + std::to_string(expect));
  QVERIFY(s.max().item<double>() <= 0.0);
  // The arg-max is the best-scoring colour: any other colour scores lower on image 0.
  const std::string other = ns::Vocabulary::colours()[size_t((p.colour[0].item<int64_t>() + 1) %
                                                             int64_t(ns::Vocabulary::colours().size()))];
  auto s2 = v->score(images, ns::VerifierQuery{"a " + other + " " + shape, {}});
  QVERIFY2(s2[0].item<double>() < s[0].item<double>(), "non-argmax colour scored higher");
  // Layout fallback when the prompt names no object.
  ns::SceneObject obj;
  obj.colour = colour;
  obj.shape = shape;
  auto s3 = v->score(images, ns::VerifierQuery{"", {obj}});
  QVERIFY(std::abs(s3[0].item<double>() - s[0].item<double>()) < 1e-5);
}

void TstBuiltinModel::findsModelDirFromEnvironment() {
  const std::string dir = tinyFolder("find");
  const char* old = std::getenv("NS_BUILTIN_MODEL_DIR");
  const std::string saved = old ? old : "";
  ::setenv("NS_BUILTIN_MODEL_DIR", dir.c_str(), 1);
  const std::string found = ns::findBuiltinModelDir();
  ::setenv("NS_BUILTIN_MODEL_DIR", (tempRoot() + "/nothing-here").c_str(), 1);
  const std::string fallback = ns::findBuiltinModelDir();
  if (old) ::setenv("NS_BUILTIN_MODEL_DIR", saved.c_str(), 1);
  else ::unsetenv("NS_BUILTIN_MODEL_DIR");
  QCOMPARE(fs::weakly_canonical(found).string(), fs::weakly_canonical(dir).string());
  QVERIFY2(!has(fallback, "nothing-here"), fallback);
  QVERIFY(fallback.empty() || fs::exists(fs::path(fallback) / "model.json"));
}

void TstBuiltinModel::tinyModelGenerationIsReproducible() {
  auto m = ns::loadBuiltinModel(tinyFolder("generate"));
  QVERIFY(m.ok());
  auto a = generate(*m, "a red ball on grass", 42, 10);
  QVERIFY2(a.ok(), a.ok() ? "" : a.error().message);
  auto b = generate(*m, "a red ball on grass", 42, 10);
  QVERIFY(b.ok());
  auto c = generate(*m, "a red ball on grass", 43, 10);
  QVERIFY(c.ok());
  QVERIFY(a->sizes() == at::IntArrayRef({1, 3, 64, 64}));
  QVERIFY2(torch::equal(*a, *b), "same seed gave different pixels");
  const double seedDiff = (*a - *c).abs().mean().item<double>();
  QVERIFY2(seedDiff > 1e-4, "another seed changed pixels by only " + std::to_string(seedDiff));
}

void TstBuiltinModel::shippedModelGeneratesReproducibly() {
  const fs::path dir = fs::path(NS_SOURCE_DIR) / "resources" / "models" / "builtin";
  if (!fs::exists(dir / "model.json"))
    QSKIP("resources/models/builtin has no model.json yet (noisestudio-train exports it)");
  auto m = ns::loadBuiltinModel(dir.string());
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
  const auto t0 = std::chrono::steady_clock::now();
  auto a = generate(*m, "a red ball on grass", 1234, 10);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  QVERIFY2(a.ok(), a.ok() ? "" : a.error().message);
  auto b = generate(*m, "a red ball on grass", 1234, 10);
  auto c = generate(*m, "a blue box in the sky", 1234, 10);
  QVERIFY(b.ok() && c.ok());
  QVERIFY(a->sizes() == at::IntArrayRef({1, 3, 64, 64}));
  QVERIFY2(torch::equal(*a, *b), "same seed and prompt gave different pixels");
  QVERIFY(torch::isfinite(*a).all().item<bool>());
  const double promptDiff = (*a - *c).abs().mean().item<double>();
  QVERIFY2(promptDiff > 0.02, "another prompt changed pixels by only " + std::to_string(promptDiff));
  // A trained model draws what it is asked: pixels are not flat and the image is not noise.
  const double stdev = a->std().item<double>();
  QVERIFY2(stdev > 0.05, "generated image is flat (std " + std::to_string(stdev) + ")");
  if (m->verifier) {
    auto s = m->verifier->score(*a, ns::VerifierQuery{"a red ball on grass", {}});
    std::fprintf(stderr, "shipped model: 10-step DDIM in %.0f ms, verifier log p(red, ball) = %.3f\n", ms,
                 s[0].item<double>());
  }
}

void TstBuiltinModel::cudaMatchesCpu() {
  if (!torch::cuda::is_available()) QSKIP("no CUDA device here: the CUDA path is checked on GPU machines");
  const std::string dir = tinyFolder("cuda");
  auto cpu = ns::loadBuiltinModel(dir, "cpu");
  auto gpu = ns::loadBuiltinModel(dir, "cuda");
  QVERIFY2(gpu.ok(), gpu.ok() ? "" : gpu.error().message);
  QVERIFY(cpu.ok());
  QCOMPARE(gpu->device, std::string("cuda"));
  // Convolutions may run in TF32 on the GPU, so compare with a relative tolerance.
  auto relErr = [](const at::Tensor& a, const at::Tensor& b) {
    return ((a.cpu() - b.cpu()).norm() / b.cpu().norm().clamp_min(1e-12)).item<double>();
  };
  auto cond = cpu->text->encode("a green star on snow");
  QVERIFY(cond.ok());
  auto x = randn({2, 4, 16, 16}, 21);
  auto t = torch::tensor({700, 30}, torch::kLong);
  auto pc = cpu->denoiser->predict(x, t, cond->cond);
  auto pg = gpu->denoiser->predict(x.cuda(), t, cond->cond);
  QVERIFY2(pg.is_cuda(), "prediction did not come back on x_t's device");
  const double e1 = relErr(pg, pc);
  auto img = randn({1, 3, 64, 64}, 22).clamp(-1, 1);
  const double e2 = relErr(gpu->codec->decode(gpu->codec->encode(img)), cpu->codec->decode(cpu->codec->encode(img)));
  const double e3 = relErr(gpu->verifier->score(img, {"a green star", {}}), cpu->verifier->score(img, {"a green star", {}}));
  QVERIFY2(e1 < 1e-2 && e2 < 1e-2 && e3 < 1e-2, "CUDA vs CPU relative error: denoiser " + std::to_string(e1) +
                                                    ", codec " + std::to_string(e2) + ", verifier " + std::to_string(e3));
  std::fprintf(stderr, "CUDA vs CPU relative error: denoiser %.2e, codec %.2e, verifier %.2e\n", e1, e2, e3);
  // Fixed-seed generation on CUDA is reproducible too (noise is drawn on the CPU).
  auto a = generate(*gpu, "a green star on snow", 5, 10);
  auto b = generate(*gpu, "a green star on snow", 5, 10);
  QVERIFY2(a.ok() && b.ok(), a.ok() ? (b.ok() ? "" : b.error().message) : a.error().message);
  QVERIFY(torch::equal(a->cpu(), b->cpu()));
}

void TstBuiltinModel::cleanupTestCase() {
  std::error_code ec;
  fs::remove_all(tempRoot(), ec);
}

NS_REGISTER_TEST(TstBuiltinModel, loadsTinyFolder, denoiserImageAndVideo, codecAppliesLatentScale,
                 loaderErrorsNameFileAndField, conditionerReportsUnknownWords, verifierScoreIsLogProbability,
                 findsModelDirFromEnvironment, tinyModelGenerationIsReproducible, shippedModelGeneratesReproducibly,
                 cudaMatchesCpu, cleanupTestCase)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_builtin_model.moc"
#endif
