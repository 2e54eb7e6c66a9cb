// Tests core/model/nn/builtin_nets.h and core/model/module_weights.h: output shapes of the UNet,
// autoencoder and classifier, the UNet's size, conditioning actually changing the output, a few
// AdamW steps lowering the denoising loss on a fixed batch, and module state surviving a
// safetensors round trip bit-exactly (F32) or closely (F16).
#include "tests/support/ns_test.h"

// Qt's `slots`/`signals`/`emit` macros clash with names inside the LibTorch headers.
#include "tests/support/torch_first.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "core/model/builtin_model_config.h"
#include "core/model/module_weights.h"
#include "core/model/nn/builtin_nets.h"
#include "core/model/safetensors.h"

namespace {

ns::nn::UNetConfig smallUNet() {
  ns::nn::UNetConfig c;
  c.baseChannels = 32;
  c.mults = {1, 2};
  c.resBlocks = 1;
  c.attnLevels = {1};
  c.vocabSize = 20;
  c.tokenDim = 32;
  c.heads = 2;
  return c;
}

// The UNet's output conv starts at zero; give it weights so outputs depend on the input.
void randomiseOutput(ns::nn::BuiltinUNet& net) {
  torch::NoGradGuard g;
  auto params = net->named_parameters();
  params["conv_out.weight"].normal_(0.0, 0.05);
  params["conv_out.bias"].normal_(0.0, 0.05);
}

at::Tensor randn(at::IntArrayRef shape, uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  return at::randn(shape, gen, at::TensorOptions());
}

at::Tensor tokens(std::vector<std::vector<int64_t>> rows, int len = 16) {
  auto t = torch::zeros({int64_t(rows.size()), len}, torch::kLong);
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t i = 0; i < rows[r].size(); ++i) t[int64_t(r)][int64_t(i)] = rows[r][i];
  return t;
}

int64_t paramCount(const torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

std::string tempDir() {
  auto d = std::filesystem::temp_directory_path() / ("ns_tst_builtin_nets_" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d.string();
}

}  // namespace

class TstBuiltinNets : public QObject {
  Q_OBJECT
 private slots:
  void unetShapesAndSize();
  void unetUsesConditioning();
  void autoencoderShapes();
  void classifierShapes();
  void adamwLowersUNetLoss();
  void stateRoundTripIsExact();
  void loadStateRejectsMissingAndMisshaped();
  void configJsonRoundTrip();
  void configRejectsNumbersThatAreNoInts();
  void cleanupTestCase();
};

void TstBuiltinNets::unetShapesAndSize() {
  torch::manual_seed(1);
  ns::nn::UNetConfig c;
  c.vocabSize = 40;
  ns::nn::BuiltinUNet net(c);
  net->eval();
  const int64_t params = paramCount(*net);
  // Pinned on purpose: weights only load into exactly the architecture that wrote them, so any
  // change to the UNet's layers must be deliberate (and come with retrained weights).
  QVERIFY2(params == 5'561'668, ("default UNet (vocab 40) has " + std::to_string(params) +
                                 " parameters; the default architecture has 5561668").c_str());
  randomiseOutput(net);
  torch::NoGradGuard g;
  auto x = randn({2, 4, 16, 16}, 2);
  auto out = net->forward(x, torch::tensor({999, 10}, torch::kLong), tokens({{3, 4, 5}, {}}));
  QVERIFY2(out.sizes() == x.sizes(), "UNet output shape differs from input");
  QVERIFY(torch::isfinite(out).all().item<bool>());
  // Non-square, larger latents (e.g. 96×64 pixels) are fine as long as sizes are multiples of 4.
  auto wide = net->forward(randn({1, 4, 16, 24}, 3), torch::tensor({500}, torch::kLong), tokens({{2}}));
  QVERIFY(wide.sizes() == at::IntArrayRef({1, 4, 16, 24}));
  bool threw = false;
  try {
    net->forward(randn({1, 4, 15, 16}, 3), torch::tensor({1}, torch::kLong), tokens({{2}}));
  } catch (const c10::Error&) {
    threw = true;
  }
  QVERIFY2(threw, "UNet accepted a 15-pixel-high latent");
}

void TstBuiltinNets::unetUsesConditioning() {
  torch::manual_seed(2);
  ns::nn::BuiltinUNet net(smallUNet());
  net->eval();
  randomiseOutput(net);
  torch::NoGradGuard g;
  auto x = randn({1, 4, 16, 16}, 4).repeat({3, 1, 1, 1});
  auto t = torch::tensor({400, 400, 401}, torch::kLong);
  auto out = net->forward(x, t, tokens({{3, 4}, {}, {3, 4}}));
  const double dCond = (out[0] - out[1]).abs().mean().item<double>();
  const double dTime = (out[0] - out[2]).abs().mean().item<double>();
  const double scale = out[0].abs().mean().item<double>();
  QVERIFY2(dCond > 1e-4 * scale && dTime > 1e-6 * scale,
           ("prompt changes output by " + std::to_string(dCond) + ", timestep by " + std::to_string(dTime) +
            " (output scale " + std::to_string(scale) + ")").c_str());
  // Batch rows are independent: row 0 alone gives the same numbers as inside the batch.
  auto single = net->forward(x.slice(0, 0, 1), t.slice(0, 0, 1), tokens({{3, 4}}));
  const double diff = (single[0] - out[0]).abs().max().item<double>();
  QVERIFY2(diff < 1e-5, ("batch row differs from single run by " + std::to_string(diff)).c_str());
}

void TstBuiltinNets::autoencoderShapes() {
  torch::manual_seed(3);
  ns::nn::TinyAutoencoder ae(ns::nn::AutoencoderConfig{});
  ae->eval();
  torch::NoGradGuard g;
  auto img = randn({2, 3, 64, 64}, 5).clamp(-1, 1);
  auto z = ae->encode(img);
  QVERIFY2(z.sizes() == at::IntArrayRef({2, 4, 16, 16}), "latent shape is not [2,4,16,16]");
  auto back = ae->decode(z);
  QVERIFY2(back.sizes() == img.sizes(), "decoded shape differs from the image");
  auto rect = ae->decode(randn({1, 4, 8, 12}, 6));
  QVERIFY(rect.sizes() == at::IntArrayRef({1, 3, 32, 48}));
}

void TstBuiltinNets::classifierShapes() {
  torch::manual_seed(4);
  ns::nn::ClassifierConfig c;
  c.numColours = 10;
  c.numShapes = 6;
  c.numBackgrounds = 7;
  ns::nn::ShapesClassifier cls(c);
  cls->eval();
  torch::NoGradGuard g;
  auto out = cls->forward(randn({3, 3, 64, 64}, 7));
  QVERIFY(out.colourLogits.sizes() == at::IntArrayRef({3, 10}));
  QVERIFY(out.shapeLogits.sizes() == at::IntArrayRef({3, 6}));
  QVERIFY(out.backgroundLogits.sizes() == at::IntArrayRef({3, 7}));
  QVERIFY(out.features.sizes() == at::IntArrayRef({3, 128}));
  auto small = cls->forward(randn({1, 3, 32, 32}, 8));  // resized to 64 internally
  QVERIFY(small.colourLogits.sizes() == at::IntArrayRef({1, 10}));
}

void TstBuiltinNets::adamwLowersUNetLoss() {
  torch::manual_seed(5);
  ns::nn::BuiltinUNet net(smallUNet());
  net->train();
  torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(2e-3).weight_decay(0.01));
  auto x = randn({4, 4, 16, 16}, 9);
  auto eps = randn({4, 4, 16, 16}, 10);
  auto t = torch::tensor({50, 300, 600, 900}, torch::kLong);
  auto tok = tokens({{3, 4}, {5, 6}, {}, {7}});
  auto lossAt = [&] { return torch::mse_loss(net->forward(x + eps, t, tok), eps); };
  double first = 0, last = 0;
  for (int step = 0; step < 25; ++step) {
    opt.zero_grad();
    auto loss = lossAt();
    loss.backward();
    opt.step();
    if (step == 0) first = loss.item<double>();
    last = loss.item<double>();
  }
  QVERIFY2(last < 0.8 * first, ("loss went from " + std::to_string(first) + " to " + std::to_string(last) +
                                " in 25 AdamW steps").c_str());
}

void TstBuiltinNets::stateRoundTripIsExact() {
  torch::manual_seed(6);
  ns::nn::BuiltinUNet a(smallUNet());
  randomiseOutput(a);
  torch::manual_seed(7);  // b starts from different weights
  ns::nn::BuiltinUNet b(smallUNet());
  a->eval();
  b->eval();
  const std::string path = tempDir() + "/unet.safetensors";
  auto state = ns::moduleState(*a, "unet.", at::kFloat);
  QVERIFY2(state.count("unet.conv_in.weight") && state.count("unet.token_pos"), "expected keys are missing");
  QVERIFY(ns::writeSafetensors(path, state, {{"what", "test"}}).ok());
  auto file = ns::readSafetensors(path);
  QVERIFY2(file.ok(), file.ok() ? "" : file.error().message.c_str());
  auto loaded = ns::loadModuleState(*b, file->tensors, "unet.", path);
  QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().message.c_str());
  torch::NoGradGuard g;
  auto x = randn({2, 4, 16, 16}, 11);
  auto t = torch::tensor({10, 700}, torch::kLong);
  auto tok = tokens({{3}, {4, 5}});
  auto ya = a->forward(x, t, tok), yb = b->forward(x, t, tok);
  QVERIFY2(torch::equal(ya, yb), ("F32 round trip changed outputs by " +
                                  std::to_string((ya - yb).abs().max().item<double>())).c_str());
  // F16 (the shipping format) changes outputs only slightly.
  auto half = ns::moduleState(*a, "unet.", at::kHalf);
  QVERIFY(half["unet.conv_in.weight"].scalar_type() == at::kHalf);
  QVERIFY(ns::loadModuleState(*b, half, "unet.", "half").ok());
  QVERIFY(b->named_parameters()["conv_in.weight"].scalar_type() == at::kFloat);
  auto yh = b->forward(x, t, tok);
  const double rel = ((yh - ya).norm() / ya.norm()).item<double>();
  QVERIFY2(rel < 1e-2, ("F16 round trip relative error " + std::to_string(rel)).c_str());
}

void TstBuiltinNets::loadStateRejectsMissingAndMisshaped() {
  torch::manual_seed(8);
  ns::nn::TinyAutoencoder ae(ns::nn::AutoencoderConfig{});
  auto state = ns::moduleState(*ae, "autoencoder.", at::kFloat);
  const auto before = ae->named_parameters()["enc_in.weight"].clone();

  auto missing = state;
  missing.erase("autoencoder.dec_out.bias");
  for (auto& [k, v] : missing) v = v + 1;  // a load that fails must not copy anything
  auto r = ns::loadModuleState(*ae, missing, "autoencoder.", "weights.safetensors");
  QVERIFY(!r.ok());
  QVERIFY2(r.error().message.find("weights.safetensors") != std::string::npos &&
               r.error().message.find("'autoencoder.dec_out.bias'") != std::string::npos,
           r.error().message.c_str());
  QVERIFY2(torch::equal(before, ae->named_parameters()["enc_in.weight"]), "failed load modified the module");

  auto wrong = state;
  wrong["autoencoder.enc_in.weight"] = torch::zeros({8, 3, 3, 3});
  auto w = ns::loadModuleState(*ae, wrong, "autoencoder.", "weights.safetensors");
  QVERIFY(!w.ok());
  QVERIFY2(w.error().message.find("'autoencoder.enc_in.weight'") != std::string::npos &&
               w.error().message.find("[8, 3, 3, 3]") != std::string::npos &&
               w.error().message.find("[32, 3, 3, 3]") != std::string::npos,
           w.error().message.c_str());
}

void TstBuiltinNets::configJsonRoundTrip() {
  ns::nn::UNetConfig c = smallUNet();
  auto back = ns::nn::UNetConfig::fromJson(c.toJson());
  QCOMPARE(back.toJson().dump(), c.toJson().dump());
  QVERIFY(back.mults == c.mults && back.attnLevels == c.attnLevels && back.vocabSize == 20);
  QCOMPARE(ns::nn::UNetConfig{}.validate(), std::string("vocab_size must be > 0"));
  ns::nn::AutoencoderConfig a;
  a.downscale = 3;
  QVERIFY(!a.validate().empty());
  ns::nn::ClassifierConfig k{};
  QVERIFY(!k.validate().empty());
  k.numColours = k.numShapes = k.numBackgrounds = 2;
  QVERIFY(k.validate().empty());
  QCOMPARE(ns::nn::ClassifierConfig::fromJson(k.toJson()).numShapes, 2);
}

// Found by tests/fuzz/fuzz_model_json.cpp (corpus/model_json/crash-unet-in-channels-1e20.json):
// a model.json number that is no int (1e20) reached json::get<int>(), which is undefined
// behaviour; 2^32 + 16 wrapped to 16. Both must be refused, naming the field.
void TstBuiltinNets::configRejectsNumbersThatAreNoInts() {
  auto contains = [](const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; };
  nlohmann::json j = smallUNet().toJson();
  j["in_channels"] = 1e20;
  std::string err = ns::nn::UNetConfig::fromJson(j).validate();
  QVERIFY2(contains(err, "in_channels must be a whole number"), err);
  j = smallUNet().toJson();
  j["mults"] = {1, 2.5};
  err = ns::nn::UNetConfig::fromJson(j).validate();
  QVERIFY2(contains(err, "mults must hold whole numbers"), err);
  nlohmann::json a = ns::nn::AutoencoderConfig{}.toJson();
  a["downscale"] = 4294967300ull;
  err = ns::nn::AutoencoderConfig::fromJson(a).validate();
  QVERIFY2(contains(err, "downscale must be a whole number"), err);
  // Products of large channel counts are checked in 64 bits (no signed overflow).
  ns::nn::UNetConfig big = smallUNet();
  big.baseChannels = 1 << 30;
  big.mults = {1 << 30};
  big.attnLevels = {};
  (void)big.validate();
  big.mults.assign(40, 1);
  QVERIFY2(contains(big.validate(), "at most 8"), big.validate());

  // Through the model.json parser: the error names the file and the field.
  std::ifstream in(std::string(NS_SOURCE_DIR) + "/resources/models/builtin/model.json");
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json root = nlohmann::json::parse(ss.str());
  root["architecture"]["unet"]["in_channels"] = 1e20;
  auto r = ns::parseBuiltinModelConfig(root, "m/model.json");
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "m/model.json: field 'architecture.unet' is invalid: in_channels"),
           r.error().message);
  root = nlohmann::json::parse(ss.str());
  root["resolution"] = 4294967312ull;
  r = ns::parseBuiltinModelConfig(root, "m/model.json");
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "'resolution' is out of range"), r.error().message);
  QVERIFY(ns::parseBuiltinModelConfig(nlohmann::json::parse(ss.str()), "m/model.json").ok());
}

void TstBuiltinNets::cleanupTestCase() {
  std::error_code ec;
  std::filesystem::remove_all(tempDir(), ec);
}

NS_REGISTER_TEST(TstBuiltinNets, unetShapesAndSize, unetUsesConditioning, autoencoderShapes, classifierShapes,
                 adamwLowersUNetLoss, stateRoundTripIsExact, loadStateRejectsMissingAndMisshaped, configJsonRoundTrip,
                 configRejectsNumbersThatAreNoInts, cleanupTestCase)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_builtin_nets.moc"
#endif
