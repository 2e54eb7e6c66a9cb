// Tests core/model/model_pack.h (and the TorchScript denoiser/codec/text conditioner behind it).
// Every pack is built here from C++: torch::jit::Module + define() + save(), with arithmetic
// simple enough to recompute by hand, and the tokenizer fixture tests/data/clip_tiny/.
#include <torch/script.h>  // before ns_test.h: Qt's `slots` macro clashes with LibTorch names

#include "tests/support/ns_test.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/engine/engine.h"
#include "core/model/model_pack.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// forward(x, t, c) = x·w + 0.001·t + cw·mean(c[b]), broadcast per batch row (image or video).
const char* kDenoiserSrc = R"(
def forward(self, x: Tensor, t: Tensor, c: Tensor) -> Tensor:
    s = t.float() * 0.001 + c.flatten(1).mean(1) * self.cw
    while s.dim() < x.dim():
        s = s.unsqueeze(-1)
    return x * self.w + s
)";

// The same arithmetic as a C++ Denoiser, to compare the pack path against.
class ArithmeticDenoiser final : public ns::Denoiser {
 public:
  ArithmeticDenoiser(ns::DenoiserInfo info, double w, double cw) : m_info(std::move(info)), m_w(w), m_cw(cw) {}
  const ns::DenoiserInfo& info() const override { return m_info; }
  at::Tensor predict(const at::Tensor& x, const at::Tensor& t, const ns::Conditioning& cond) override {
    const int64_t b = x.size(0);
    at::Tensor c = cond.context.to(at::kFloat);
    if (c.size(0) != b) c = c.expand({b, c.size(1), c.size(2)}).contiguous();
    at::Tensor steps = t.to(at::kLong).reshape({-1});
    if (steps.numel() == 1 && b > 1) steps = steps.expand({b}).contiguous();
    at::Tensor s = steps.to(at::kFloat) * 0.001 + c.flatten(1).mean(1) * at::full({1}, m_cw);
    while (s.dim() < x.dim()) s = s.unsqueeze(-1);
    return x * at::full({1}, m_w) + s;
  }

 private:
  ns::DenoiserInfo m_info;
  double m_w, m_cw;
};

void saveDenoiser(const fs::path& file, const char* src, double w = 0.9, double cw = 0.5) {
  torch::jit::Module m("Denoiser");
  m.register_parameter("w", at::full({1}, w), false);
  m.register_parameter("cw", at::full({1}, cw), false);
  m.define(src);
  m.save(file.string());
}

void saveVae(const fs::path& dir) {
  torch::jit::Module enc("VaeEncoder");
  enc.define(R"(
def forward(self, x: Tensor) -> Tensor:
    p = torch.avg_pool2d(x, [2, 2])
    return torch.cat([p, p.mean(1, keepdim=True)], 1)
)");
  enc.save((dir / "vae_encoder.pt").string());
  torch::jit::Module dec("VaeDecoder");
  dec.define(R"(
def forward(self, z: Tensor) -> Tensor:
    return z[:, 0:3].repeat_interleave(2, 2).repeat_interleave(2, 3)
)");
  dec.save((dir / "vae_decoder.pt").string());
}

at::Tensor textTable() {
  at::Generator gen = at::detail::createCPUGenerator(11);
  return at::randn({38, 8}, gen, at::TensorOptions());
}

void saveTextEncoder(const fs::path& dir) {
  torch::jit::Module te("TextEncoder");
  te.register_buffer("table", textTable());
  te.define(R"(
def forward(self, ids: Tensor) -> Tensor:
    return torch.embedding(self.table, ids)
)");
  te.save((dir / "text_encoder.pt").string());
  fs::copy_file(nstest::dataDir() + "/clip_tiny/vocab.json", dir / "vocab.json", fs::copy_options::overwrite_existing);
  fs::copy_file(nstest::dataDir() + "/clip_tiny/merges.txt", dir / "merges.txt", fs::copy_options::overwrite_existing);
}

struct PackSpec {
  std::string prediction = "epsilon";
  bool latent = false;
  bool video = false;
  bool text = false;
};

json packJson(const PackSpec& s) {
  json j{{"format", "noisestudio-pack"},
         {"format_version", 1},
         {"name", "test-pack"},
         {"licence", "CC0-1.0"},
         {"prediction", s.prediction},
         {"schedule",
          {{"beta_schedule", "scaled_linear"},
           {"beta_start", 0.00085},
           {"beta_end", 0.012},
           {"train_steps", 1000},
           {"timestep_spacing", "leading"},
           {"steps_offset", 1},
           {"set_alpha_to_one", false},
           {"zero_terminal_snr", false}}},
         {"resolution", 16},
         {"size_multiple", 4},
         {"image_or_video", s.video ? "video" : "image"},
         {"files", {{"denoiser", "denoiser.pt"}}}};
  j["latent"] = s.latent ? json{{"channels", 4}, {"downscale", 2}, {"scale", 0.5}}
                         : json{{"channels", 3}, {"downscale", 1}, {"scale", 1.0}};
  if (s.latent) {
    j["files"]["vae_encoder"] = "vae_encoder.pt";
    j["files"]["vae_decoder"] = "vae_decoder.pt";
  }
  if (s.text) {
    j["files"]["text_encoder"] = "text_encoder.pt";
    j["files"]["tokenizer_vocab"] = "vocab.json";
    j["files"]["tokenizer_merges"] = "merges.txt";
    j["context_length"] = 77;
  } else {
    j["text"] = "none";
  }
  return j;
}

void writeJson(const fs::path& dir, const json& j) { std::ofstream(dir / "model.json") << j.dump(2); }

// A fresh folder holding a complete pack for `spec`.
fs::path makePack(const std::string& name, const PackSpec& spec) {
  const fs::path dir = fs::temp_directory_path() / ("ns_tst_model_pack_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  saveDenoiser(dir / "denoiser.pt", kDenoiserSrc);
  if (spec.latent) saveVae(dir);
  if (spec.text) saveTextEncoder(dir);
  writeJson(dir, packJson(spec));
  return dir;
}

double maxAbsDiff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

class TstModelPack : public QObject {
  Q_OBJECT
 private slots:
  void pixelEpsImagePackUnconditional();
  void latentVVideoPackWithText();
  void generateMatchesCppDenoiser();
  void missingModelJson();
  void missingDenoiser();
  void wrongDenoiserShape();
  void wrongVaeShape();
  void unknownPrediction();
  void unknownSchedule();
  void corruptTorchscript();
  void folderFormatPicksLoader();
};

void TstModelPack::pixelEpsImagePackUnconditional() {
  const fs::path dir = makePack("pixel", PackSpec{});
  auto b = ns::loadModelPack(dir.string());
  QVERIFY2(b.ok(), b.ok() ? "" : b.error().message);
  QVERIFY(b->valid());
  const ns::DenoiserInfo& info = b->denoiser->info();
  QCOMPARE(info.id, std::string("test-pack"));
  QCOMPARE(info.channels, 3);
  QCOMPARE(info.sampleSize, 16);
  QCOMPARE(info.sizeMultiple, 4);
  QVERIFY(!info.isVideo);
  QVERIFY(info.prediction == ns::PredictionType::Epsilon);
  QVERIFY(info.schedule.beta == ns::BetaSchedule::ScaledLinear);
  QCOMPARE(info.schedule.trainSteps, 1000);
  QCOMPARE(b->codec->name(), std::string("identity"));
  QCOMPARE(b->pixelSize(), 16);
  // Unconditional pack: every prompt word is reported as ignored.
  auto enc = b->text->encode("a red ball");
  QVERIFY(enc.ok());
  QCOMPARE(int(enc->unknownWords.size()), 3);
  // predict = x·0.9 + 0.001·t (context is zeros).
  at::Generator gen = at::detail::createCPUGenerator(5);
  at::Tensor x = at::randn({2, 3, 8, 8}, gen, at::TensorOptions());
  at::Tensor t = at::tensor({100, 500}, at::kLong);
  at::Tensor out = b->denoiser->predict(x, t, enc->cond);
  at::Tensor want = x * 0.9f + (t.to(at::kFloat) * 0.001f).view({2, 1, 1, 1});
  const double err = maxAbsDiff(out, want);
  QVERIFY2(err < 1e-6, "max |pack - hand| = " + std::to_string(err));
  fs::remove_all(dir);
}

void TstModelPack::latentVVideoPackWithText() {
  PackSpec spec;
  spec.prediction = "v_prediction";
  spec.latent = spec.video = spec.text = true;
  const fs::path dir = makePack("video", spec);
  auto b = ns::loadModelPack(dir.string());
  QVERIFY2(b.ok(), b.ok() ? "" : b.error().message);
  const ns::DenoiserInfo& info = b->denoiser->info();
  QVERIFY(info.isVideo);
  QVERIFY(info.prediction == ns::PredictionType::VPrediction);
  QCOMPARE(info.channels, 4);
  QCOMPARE(info.sampleSize, 8);
  QCOMPARE(b->codec->downscale(), 2);
  QCOMPARE(b->codec->latentChannels(), 4);
  QCOMPARE(b->pixelSize(), 16);

  // Codec: encode = [avgpool2, its channel mean] · latent.scale (0.5); decode undoes the scale and
  // nearest-upsamples the first three channels.
  at::Generator gen = at::detail::createCPUGenerator(7);
  at::Tensor img = at::rand({2, 3, 16, 16}, gen, at::TensorOptions()) * 2 - 1;
  at::Tensor z = b->codec->encode(img);
  QCOMPARE(z.sizes().vec(), (std::vector<int64_t>{2, 4, 8, 8}));
  at::Tensor pooled = at::avg_pool2d(img, {2, 2});
  const double encErr = maxAbsDiff(z, at::cat({pooled, pooled.mean(1, true)}, 1) * 0.5);
  QVERIFY2(encErr < 1e-6, "encode error " + std::to_string(encErr));
  at::Tensor back = b->codec->decode(z);
  const double decErr = maxAbsDiff(back, pooled.repeat_interleave(2, 2).repeat_interleave(2, 3));
  QVERIFY2(decErr < 1e-6, "decode error " + std::to_string(decErr));

  // Text: "hello cat" -> ids 34, 31 (hello</w>), 27 (cat</w>), 35 … -> rows of the embedding table.
  auto enc = b->text->encode("Hello  cat");
  QVERIFY2(enc.ok(), enc.ok() ? "" : enc.error().message);
  QCOMPARE(enc->cond.context.sizes().vec(), (std::vector<int64_t>{1, 77, 8}));
  at::Tensor table = textTable();
  QVERIFY(enc->cond.context[0][1].equal(table[31]));
  QVERIFY(enc->cond.context[0][2].equal(table[27]));
  QVERIFY(enc->cond.context[0][76].equal(table[35]));
  QVERIFY(enc->unknownWords.empty());

  // Video predict: x [1,4,3,8,8]; the context mean enters every frame.
  at::Tensor x = at::randn({1, 4, 3, 8, 8}, gen, at::TensorOptions());
  at::Tensor out = b->denoiser->predict(x, at::tensor({250}, at::kLong), enc->cond);
  const float shift = 0.25f + enc->cond.context.mean().item<float>() * 0.5f;
  const double err = maxAbsDiff(out, x * 0.9f + shift);
  QVERIFY2(err < 1e-5, "video predict error " + std::to_string(err));
  fs::remove_all(dir);
}

void TstModelPack::generateMatchesCppDenoiser() {
  PackSpec spec;
  spec.latent = spec.text = true;
  const fs::path dir = makePack("generate", spec);
  auto pack = ns::loadModelPack(dir.string());
  QVERIFY2(pack.ok(), pack.ok() ? "" : pack.error().message);
  ns::ModelBundle cpp = *pack;
  cpp.denoiser = std::make_shared<ArithmeticDenoiser>(pack->denoiser->info(), 0.9, 0.5);

  ns::GenerateRequest req;
  req.prompt = "hello cat";
  req.negativePrompt = "cats!!";
  req.seed = 21;
  req.steps = 6;
  req.cfg = 3.0;
  ns::JobContext ctx1, ctx2;
  auto a = ns::generate(*pack, req, ctx1);
  QVERIFY2(a.ok(), a.ok() ? "" : a.error().message);
  auto c = ns::generate(cpp, req, ctx2);
  QVERIFY2(c.ok(), c.ok() ? "" : c.error().message);
  QCOMPARE(a->frames.width, 16);
  QCOMPARE(a->frames.data.size(), c->frames.data.size());
  double maxDiff = 0, mean = 0, meanSq = 0;
  for (size_t i = 0; i < a->frames.data.size(); ++i) {
    maxDiff = std::max(maxDiff, double(std::fabs(a->frames.data[i] - c->frames.data[i])));
    mean += a->frames.data[i];
    meanSq += double(a->frames.data[i]) * a->frames.data[i];
  }
  mean /= double(a->frames.data.size());
  const double stdev = std::sqrt(meanSq / double(a->frames.data.size()) - mean * mean);
  QVERIFY2(maxDiff <= 1e-6, "pack vs C++ denoiser: max pixel difference " + std::to_string(maxDiff));
  QVERIFY2(stdev > 0.01, "generated image is flat (std " + std::to_string(stdev) + ")");
  fs::remove_all(dir);
}

void TstModelPack::missingModelJson() {
  const fs::path dir = makePack("nojson", PackSpec{});
  fs::remove(dir / "model.json");
  auto b = ns::loadModelPack(dir.string());
  QVERIFY(!b.ok());
  QVERIFY(b.error().kind == ns::ErrorKind::Io);
  QVERIFY2(contains(b.error().message, "model.json") && contains(b.error().message, "not found"), b.error().message);
  fs::remove_all(dir);
}

void TstModelPack::missingDenoiser() {
  const fs::path dir = makePack("nodenoiser", PackSpec{});
  fs::remove(dir / "denoiser.pt");
  auto b = ns::loadModelPack(dir.string());
  QVERIFY(!b.ok());
  QVERIFY(b.error().kind == ns::ErrorKind::Io);
  QVERIFY2(contains(b.error().message, "denoiser.pt: file not found") && contains(b.error().message, "files.denoiser"),
           b.error().message);
  fs::remove_all(dir);
}

void TstModelPack::wrongDenoiserShape() {
  const fs::path dir = makePack("badshape", PackSpec{});
  saveDenoiser(dir / "denoiser.pt", R"(
def forward(self, x: Tensor, t: Tensor, c: Tensor) -> Tensor:
    return x.mean(1, keepdim=True) * self.w + self.cw
)");
  auto b = ns::loadModelPack(dir.string());
  QVERIFY(!b.ok());
  QVERIFY(b.error().kind == ns::ErrorKind::Model);
  const std::string& m = b.error().message;
  QVERIFY2(contains(m, "denoiser.pt") && contains(m, "files.denoiser") && contains(m, "dry run") &&
               contains(m, "[1, 1, 4, 4]") && contains(m, "input's shape"),
           m);
  fs::remove_all(dir);
}

void TstModelPack::wrongVaeShape() {
  PackSpec spec;
  spec.latent = true;
  const fs::path dir = makePack("badvae", spec);
  torch::jit::Module enc("VaeEncoder");  // downscales by 4 where model.json says 2
  enc.define(R"(
def forward(self, x: Tensor) -> Tensor:
    p = torch.avg_pool2d(x, [4, 4])
    return torch.cat([p, p.mean(1, keepdim=True)], 1)
)");
  enc.save((dir / "vae_encoder.pt").string());
  auto b = ns::loadModelPack(dir.string());
  QVERIFY(!b.ok());
  const std::string& m = b.error().message;
  QVERIFY2(contains(m, "vae_encoder.pt") && contains(m, "files.vae_encoder") && contains(m, "[1, 4, 2, 2]"), m);
  fs::remove_all(dir);
}

void TstModelPack::unknownPrediction() {
  const fs::path dir = makePack("badpred", PackSpec{});
  json j = packJson(PackSpec{});
  j["prediction"] = "x0pred";
  writeJson(dir, j);
  auto b = ns::loadModelPack(dir.string());
  QVERIFY(!b.ok());
  QVERIFY(b.error().kind == ns::ErrorKind::Model);
  const std::string& m = b.error().message;
  QVERIFY2(contains(m, "model.json: field 'prediction'") && contains(m, "'x0pred'"), m);
  fs::remove_all(dir);
}

void TstModelPack::unknownSchedule() {
  const fs::path dir = makePack("badsched", PackSpec{});
  json j = packJson(PackSpec{});
  j["schedule"]["beta_schedule"] = "sqrt_linear";
  writeJson(dir, j);
  auto b = ns::loadModelPack(dir.string());
  QVERIFY(!b.ok());
  const std::string& m = b.error().message;
  QVERIFY2(contains(m, "model.json: field 'schedule.beta_schedule'") && contains(m, "'sqrt_linear'"), m);
  j = packJson(PackSpec{});
  j["schedule"]["timestep_spacing"] = "karras";
  writeJson(dir, j);
  auto b2 = ns::loadModelPack(dir.string());
  QVERIFY(!b2.ok());
  QVERIFY2(contains(b2.error().message, "'schedule.timestep_spacing'"), b2.error().message);
  fs::remove_all(dir);
}

void TstModelPack::corruptTorchscript() {
  const fs::path dir = makePack("corrupt", PackSpec{});
  { std::ofstream(dir / "denoiser.pt", std::ios::binary) << "PK\x03\x04 this is not a TorchScript archive"; }
  auto b = ns::loadModelPack(dir.string());
  QVERIFY(!b.ok());
  QVERIFY(b.error().kind == ns::ErrorKind::Model);
  const std::string& m = b.error().message;
  QVERIFY2(contains(m, "denoiser.pt (model.json field 'files.denoiser'): not a readable TorchScript module"), m);
  QVERIFY2(m.find('\n') == std::string::npos, "message should be one line: " + m);
  fs::remove_all(dir);
}

void TstModelPack::folderFormatPicksLoader() {
  const fs::path dir = makePack("format", PackSpec{});
  auto f = ns::modelFolderFormat(dir.string());
  QVERIFY(f.ok());
  QCOMPARE(*f, std::string("noisestudio-pack"));
  fs::remove(dir / "model.json");
  QVERIFY(!ns::modelFolderFormat(dir.string()).ok());
  fs::remove_all(dir);
}

NS_REGISTER_TEST(TstModelPack, pixelEpsImagePackUnconditional, latentVVideoPackWithText, generateMatchesCppDenoiser,
                 missingModelJson, missingDenoiser, wrongDenoiserShape, wrongVaeShape, unknownPrediction,
                 unknownSchedule, corruptTorchscript, folderFormatPicksLoader)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_model_pack.moc"
#endif
