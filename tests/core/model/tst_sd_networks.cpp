// Tests the native Stable Diffusion networks and the single-file door (core/model/sd): the mapped
// safetensors reader equals the copying one; chunked attention equals attention in one piece;
// UNet and VAE configurations read back from the weights equal the ones they were built with, at
// tiny sizes in both SD 1.x (conv proj, fixed heads) and SD 2.x (linear proj, 64-wide-style heads)
// form, and reloaded networks give the same outputs; odd latent sizes run; unsupported families are
// refused by name; a random-weight SD 1.x-layout file (F16, with model_ema.* and schedule buffers)
// loads through loadSdModel and runs every part. Conformance with the reference implementations is
// in tst_sd_conformance.cpp.
#include "tests/support/ns_test.h"

#pragma push_macro("slots")
#undef slots
#include <ATen/ATen.h>
#pragma pop_macro("slots")

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "core/model/safetensors.h"
#include "core/model/sd/sd_attention.h"
#include "core/model/sd/sd_checkpoint.h"
#include "core/model/sd/sd_model.h"
#include "core/model/sd/sd_unet.h"
#include "core/model/sd/sd_vae.h"
#include "tests/support/sd_tiny_weights.h"

namespace {

namespace fs = std::filesystem;
using ns::sd::WeightMap;

fs::path tempDir() {
  auto d = fs::temp_directory_path() / ("ns_tst_sd_networks_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

double maxRelDiff(const at::Tensor& a, const at::Tensor& b) {
  const double den = std::max(b.abs().max().item<double>(), 1e-12);
  return (a - b).abs().max().item<double>() / den;
}

ns::sd::UnetConfig tinyUnet(bool sd2) { return sdtest::tinyUnetConfig(sd2); }
ns::sd::VaeConfig tinyVae() { return sdtest::tinyVaeConfig(); }
WeightMap tinyText(int64_t v, int64_t d, int layers) { return sdtest::tinyClipTextWeights(v, d, layers); }

// Non-default values everywhere (norm weights/biases, zero-initialised layers), so a mix-up shows.
void perturb(WeightMap& w, uint64_t seed) {
  at::manual_seed(seed);
  for (auto& [k, t] : w)
    if (t.is_floating_point()) t = t + at::randn_like(t) * 0.05;
}

// A real checkpoint's names and shapes (tests/data/sd/keys_*.txt: "name<TAB>d0,d1,..."), as
// meta tensors: nothing is allocated.
WeightMap metaKeys(const std::string& file) {
  WeightMap w;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    std::vector<int64_t> shape;
    std::stringstream dims(line.substr(tab + 1));
    for (std::string d; std::getline(dims, d, ',');)
      if (!d.empty()) shape.push_back(std::stoll(d));
    w[line.substr(0, tab)] = at::empty(shape, at::TensorOptions().device(at::kMeta));
  }
  return w;
}

}  // namespace

class TstSdNetworks : public QObject {
  Q_OBJECT
 private slots:
  void mappedFileEqualsReadFile();
  void chunkedAttentionEqualsOnePiece();
  void unetConfigAndOutputsRoundTrip();
  void unetRunsOddLatentSizes();
  void vaeConfigAndOutputsRoundTrip();
  void familyDetectionRefusesByName();
  void singleFileLoadsAndRuns();
  void realKeyListsMatchTheLoader();
  void cleanupTestCase();
};

void TstSdNetworks::mappedFileEqualsReadFile() {
  at::manual_seed(1);
  std::map<std::string, at::Tensor> t;
  t["f32"] = at::randn({3, 5});
  at::Tensor h = at::randn({64}).to(at::kHalf);
  h[0] = at::Scalar(6e-8);  // an F16 subnormal must survive as stored
  t["f16"] = h;
  t["bf16"] = at::randn({7}).to(at::kBFloat16);
  t["i64"] = at::arange(9, at::kLong);
  t["empty"] = at::zeros({0, 4});
  const std::string path = (tempDir() / "mapped.safetensors").string();
  QVERIFY(ns::writeSafetensors(path, t, {{"k", "v"}}).ok());
  auto a = ns::readSafetensors(path);
  auto b = ns::mapSafetensors(path);
  QVERIFY2(a.ok() && b.ok(), b.ok() ? a.error().message : b.error().message);
  QCOMPARE(b->metadata.at("k"), std::string("v"));
  QCOMPARE(b->tensors.size(), a->tensors.size());
  for (const auto& [name, x] : a->tensors) {
    const at::Tensor& y = b->tensors.at(name);
    QVERIFY2(x.scalar_type() == y.scalar_type() && x.sizes() == y.sizes(), name);
    QVERIFY2(x.nbytes() == 0 || std::memcmp(x.data_ptr(), y.data_ptr(), x.nbytes()) == 0, name);
  }
  QVERIFY(b->tensors.at("f16")[0].item<float>() > 0.f);
  // A copy-on-write mapping: writing through a tensor never reaches the file.
  b->tensors.at("f32").fill_(0);
  auto again = ns::readSafetensors(path);
  QVERIFY(at::equal(again->tensors.at("f32"), t["f32"]));
  // Truncated: refused, naming the file.
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const std::string cut = (tempDir() / "cut.safetensors").string();
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() - 10);
  auto bad = ns::mapSafetensors(cut);
  QVERIFY(!bad.ok());
  QVERIFY2(contains(bad.error().message, cut) && contains(bad.error().message, "truncated"), bad.error().message);
  QVERIFY(!ns::mapSafetensors((tempDir() / "missing.safetensors").string()).ok());
}

void TstSdNetworks::chunkedAttentionEqualsOnePiece() {
  at::manual_seed(2);
  // 2 heads × 4096 × 4096 fp32 scores = 128 MiB > the 64 MiB chunk budget: runs in chunks.
  const int64_t n = 4096, heads = 2, d = 8;
  at::Tensor q = at::randn({1, n, heads * d}), k = at::randn({1, n, heads * d}), v = at::randn({1, n, heads * d});
  at::Tensor got = ns::sd::multiHeadAttention(q, k, v, heads);
  auto split = [&](const at::Tensor& x) { return x.reshape({1, n, heads, d}).permute({0, 2, 1, 3}); };
  at::Tensor s = at::matmul(split(q), split(k).transpose(-1, -2)) / std::sqrt(double(d));
  at::Tensor ref = at::matmul(s.softmax(-1), split(v)).permute({0, 2, 1, 3}).reshape({1, n, heads * d});
  QVERIFY2(maxRelDiff(got, ref) < 1e-5, std::to_string(maxRelDiff(got, ref)));
  // A causal mask goes through the chunks with the right rows.
  const int64_t m = 77;
  at::Tensor mask = at::full({m, m}, -INFINITY).triu(1);
  at::Tensor q2 = at::randn({2, m, 16}), k2 = at::randn({2, m, 16}), v2 = at::randn({2, m, 16});
  at::Tensor out = ns::sd::multiHeadAttention(q2, k2, v2, 2, mask);
  at::Tensor v3 = v2.clone();
  v3.slice(1, 40).add_(1.0);  // later tokens must not change earlier outputs
  at::Tensor out3 = ns::sd::multiHeadAttention(q2, k2, v3, 2, mask);
  QVERIFY(at::equal(out.slice(1, 0, 40), out3.slice(1, 0, 40)));
  QVERIFY(!at::equal(out.slice(1, 40), out3.slice(1, 40)));
}

void TstSdNetworks::unetConfigAndOutputsRoundTrip() {
  for (bool sd2 : {false, true}) {
    const ns::sd::UnetConfig cfg = tinyUnet(sd2);
    auto net = ns::sd::SdUnet::createRandom(cfg, 3);
    WeightMap w = net->state("model.diffusion_model.");
    perturb(w, 4);
    ns::sd::HeadSplit hs;
    if (sd2) hs.headDim = 16;
    else hs.heads = 2;
    auto got = ns::sd::inferUnetConfig(w, "model.diffusion_model.", hs, "tiny");
    QVERIFY2(got.ok(), got.error().message);
    QCOMPARE(got->modelChannels, cfg.modelChannels);
    QVERIFY(got->channelMult == cfg.channelMult);
    QCOMPARE(got->numResBlocks, cfg.numResBlocks);
    QVERIFY(got->attnAtLevel == cfg.attnAtLevel);
    QVERIFY(got->headsAtLevel == cfg.headsAtLevel);
    QCOMPARE(got->contextDim, cfg.contextDim);
    QCOMPARE(got->linearProj, cfg.linearProj);
    QCOMPARE(got->transformerDepth, 1);
    auto a = ns::sd::SdUnet::create(*got, w, "model.diffusion_model.", "tiny");
    QVERIFY2(a.ok(), a.error().message);
    auto b = ns::sd::SdUnet::create(*got, w, "model.diffusion_model.", "tiny");
    at::manual_seed(5);
    at::Tensor x = at::randn({2, 4, 8, 8}), ctx = at::randn({2, 77, 32});
    at::Tensor t = at::tensor({999, 17}, at::kLong);
    at::Tensor ya = (*a)->forward(x, t, ctx);
    QCOMPARE(ya.sizes(), x.sizes());
    QVERIFY(at::equal(ya, (*b)->forward(x, t, ctx)));
    // The timestep and the context matter (the embedding and cross-attention are wired).
    QVERIFY(!at::allclose(ya[0], (*a)->forward(x.slice(0, 0, 1), at::tensor({500}, at::kLong), ctx.slice(0, 0, 1))[0]));
    QVERIFY(!at::allclose(ya, (*a)->forward(x, t, ctx + 0.5)));
    // Batch rows are independent.
    QVERIFY(maxRelDiff((*a)->forward(x.slice(0, 1, 2), t.slice(0, 1, 2), ctx.slice(0, 1, 2)), ya.slice(0, 1, 2)) < 1e-5);
    // A wrong shape is refused, naming the tensor.
    WeightMap broken = w;
    broken["model.diffusion_model.out.2.weight"] = at::zeros({4, 32, 1, 1});
    auto bad = ns::sd::SdUnet::create(*got, broken, "model.diffusion_model.", "tiny.safetensors");
    QVERIFY(!bad.ok());
    QVERIFY2(contains(bad.error().message, "out.2.weight") && contains(bad.error().message, "tiny.safetensors"),
             bad.error().message);
  }
}

void TstSdNetworks::unetRunsOddLatentSizes() {
  auto net = ns::sd::SdUnet::createRandom(tinyUnet(false), 6);
  at::Tensor x = at::randn({1, 4, 9, 7});
  at::Tensor y = net->forward(x, at::tensor({10}, at::kLong), at::randn({1, 77, 32}));
  QCOMPARE(y.sizes(), x.sizes());
  QVERIFY(at::isfinite(y).all().item<bool>());
}

void TstSdNetworks::vaeConfigAndOutputsRoundTrip() {
  const ns::sd::VaeConfig cfg = tinyVae();
  auto vae = ns::sd::SdVae::createRandom(cfg, 7);
  WeightMap w = vae->state("first_stage_model.");
  perturb(w, 8);
  auto got = ns::sd::inferVaeConfig(w, "first_stage_model.", "tiny");
  QVERIFY2(got.ok(), got.error().message);
  QCOMPARE(got->ch, 32);
  QVERIFY(got->chMult == cfg.chMult);
  QCOMPARE(got->numResBlocks, 1);
  QCOMPARE(got->zChannels, 4);
  QCOMPARE(got->embedDim, 4);
  QCOMPARE(got->downscale(), 8);
  auto a = ns::sd::SdVae::create(*got, w, "first_stage_model.", "tiny");
  QVERIFY2(a.ok(), a.error().message);
  at::manual_seed(9);
  at::Tensor z = at::randn({1, 4, 8, 8});
  at::Tensor img = (*a)->decode(z);
  QCOMPARE(img.sizes(), (at::IntArrayRef{1, 3, 64, 64}));
  at::Tensor mean = (*a)->encodeMean(at::rand({1, 3, 64, 64}) * 2 - 1);
  QCOMPARE(mean.sizes(), (at::IntArrayRef{1, 4, 8, 8}));
  // Converted files store the mid-block attention as Linear [C,C]: same network.
  WeightMap linear = w;
  for (const char* part : {"q", "k", "v", "proj_out"}) {
    const std::string key = std::string("first_stage_model.decoder.mid.attn_1.") + part + ".weight";
    linear[key] = w[key].flatten(1);
  }
  auto b = ns::sd::SdVae::create(*got, linear, "first_stage_model.", "tiny");
  QVERIFY2(b.ok(), b.error().message);
  QVERIFY(at::equal((*b)->decode(z), img));
}

void TstSdNetworks::familyDetectionRefusesByName() {
  auto fam = [](const WeightMap& w) { return ns::sd::detectSdFamily(w, "x.safetensors"); };
  const at::Tensor conv4 = at::zeros({320, 4, 3, 3});
  WeightMap sd1{{"model.diffusion_model.input_blocks.0.0.weight", conv4},
                {"cond_stage_model.transformer.text_model.final_layer_norm.weight", at::zeros({768})}};
  QVERIFY(fam(sd1).ok() && fam(sd1).value() == ns::sd::SdFamily::Sd1);
  WeightMap sd2{{"model.diffusion_model.input_blocks.0.0.weight", conv4},
                {"cond_stage_model.model.ln_final.weight", at::zeros({1024})}};
  QVERIFY(fam(sd2).ok() && fam(sd2).value() == ns::sd::SdFamily::Sd2);
  struct Case {
    WeightMap w;
    const char* says;
  };
  std::vector<Case> refused = {
      {{{"model.diffusion_model.input_blocks.0.0.weight", conv4},
        {"conditioner.embedders.1.model.transformer.resblocks.9.mlp.c_proj.bias", at::zeros({1})}},
       "SDXL"},
      {{{"model.diffusion_model.joint_blocks.0.x_block.attn.qkv.weight", at::zeros({1})}}, "Stable Diffusion 3"},
      {{{"double_blocks.0.img_attn.qkv.weight", at::zeros({1})}}, "Flux"},
      {{{"model.diffusion_model.input_blocks.0.0.weight", at::zeros({320, 9, 3, 3})}}, "inpainting"},
      {{{"down_blocks.0.motion_modules.0.temporal_transformer.norm.weight", at::zeros({1})}}, "diffusers"},
      {{{"weight", at::zeros({1})}}, "not a Stable Diffusion checkpoint"},
  };
  for (const auto& c : refused) {
    auto r = fam(c.w);
    QVERIFY(!r.ok());
    QVERIFY2(contains(r.error().message, c.says) && contains(r.error().message, "x.safetensors"), r.error().message);
  }
}

void TstSdNetworks::singleFileLoadsAndRuns() {
  // An SD 1.x-layout file of random tiny weights, stored F16, with the extras real files carry.
  at::manual_seed(10);
  WeightMap all = ns::sd::SdUnet::createRandom(tinyUnet(false), 11)->state("model.diffusion_model.");
  for (auto& [k, t] : ns::sd::SdVae::createRandom(tinyVae(), 12)->state("first_stage_model.")) all[k] = t;
  for (auto& [k, t] : tinyText(64, 32, 2)) all["cond_stage_model.transformer." + k] = t;
  perturb(all, 13);
  all["model_ema.decay"] = at::tensor(0.9999);
  all["alphas_cumprod"] = at::linspace(0.999, 0.005, 1000);
  std::map<std::string, at::Tensor> stored;
  for (auto& [k, t] : all) stored[k] = t.is_floating_point() ? t.to(at::kHalf) : t;
  const std::string path = (tempDir() / "tiny_sd1.safetensors").string();
  QVERIFY(ns::writeSafetensors(path, stored).ok());

  ns::sd::SdLoadOptions o;
  o.unetHeads.heads = 2;
  o.textHeads = 2;
  o.tokenizerDir = nstest::dataDir() + "/clip_tiny";
  auto m = ns::sd::loadSdModel(path, o);
  QVERIFY2(m.ok(), m.error().message);
  QCOMPARE(m->report.family, std::string("sd1"));
  QCOMPARE(m->report.layout, std::string("safetensors"));
  QCOMPARE(m->report.prediction, std::string("epsilon"));
  QVERIFY(m->report.storageDtypes.at("F16") > 100);
  int64_t unetValues = 0, vaeValues = 0;
  for (const auto& [k, t] : all) {
    if (k.rfind("model.diffusion_model.", 0) == 0) unetValues += t.numel();
    if (k.rfind("first_stage_model.", 0) == 0) vaeValues += t.numel();
  }
  QCOMPARE(m->report.unetParameters, unetValues);
  QCOMPARE(m->report.vaeParameters, vaeValues);
  QVERIFY(m->report.loadSeconds > 0 && m->report.residentBytes > 0);

  // The UNet computes with the F16-stored weights upcast (not the fp32 originals).
  WeightMap upcast;
  for (auto& [k, t] : stored)
    if (k.rfind("model.diffusion_model.", 0) == 0) upcast[k] = t.to(at::kFloat);
  auto ref = ns::sd::SdUnet::create(m->unet->config(), upcast, "model.diffusion_model.", "ref");
  QVERIFY(ref.ok());
  at::Tensor x = at::randn({1, 4, 8, 8}), ctx = at::randn({1, 77, 32}), t = at::tensor({321}, at::kLong);
  QVERIFY(at::equal(m->unet->forward(x, t, ctx), (*ref)->forward(x, t, ctx)));

  auto bundle = ns::sd::toModelBundle(*m);
  QVERIFY2(bundle.ok(), bundle.error().message);
  QCOMPARE(bundle->denoiser->info().sampleSize, 64);
  QCOMPARE(bundle->codec->downscale(), 8);
  auto enc = bundle->text->encode("hello cat");
  QVERIFY2(enc.ok(), enc.error().message);
  QCOMPARE(enc->cond.context.sizes(), (at::IntArrayRef{1, 77, 32}));
  at::Tensor eps = bundle->denoiser->predict(at::randn({2, 4, 6, 6}), at::tensor({999, 999}, at::kLong),
                                             ns::Conditioning::cat(enc->cond, bundle->text->unconditional()));
  QCOMPARE(eps.sizes(), (at::IntArrayRef{2, 4, 6, 6}));
  at::Tensor img = bundle->codec->decode(at::randn({1, 4, 6, 6}));
  QCOMPARE(img.sizes(), (at::IntArrayRef{1, 3, 48, 48}));
  QVERIFY(img.abs().max().item<float>() <= 1.0f);

  // Without a vocabulary the networks load but there is no prompt encoder, and the bundle says why.
  ns::sd::SdLoadOptions noTok = o;
  noTok.tokenizerDir = (tempDir() / "no_such_tokenizer").string();
  auto m2 = ns::sd::loadSdModel(path, noTok);
  QVERIFY2(!m2.ok() || !ns::sd::toModelBundle(*m2).ok(), "a missing vocabulary must not give a prompt encoder");

  // Too little memory: refused before building, with both figures.
  ns::sd::SdLoadOptions tight = o;
  tight.availableBytes = 1000;
  auto m3 = ns::sd::loadSdModel(path, tight);
  QVERIFY(!m3.ok());
  QVERIFY2(contains(m3.error().message, "needs about") && contains(m3.error().message, "available"), m3.error().message);
}

void TstSdNetworks::realKeyListsMatchTheLoader() {
  // SD 1.5 (v1-inference.yaml) and SD 2.1 (v2-inference-v.yaml) as the reference code lays them
  // out: the family, the UNet/VAE/text configurations the loader reads from them are the real ones.
  for (const bool sd2 : {false, true}) {
    const std::string file = nstest::dataDir() + (sd2 ? "/sd/keys_sd21.txt" : "/sd/keys_sd15.txt");
    WeightMap meta = metaKeys(file);
    QVERIFY2(meta.size() > 1000, file);
    auto ck = ns::sd::sortSingleFileWeights(meta, {}, file, "safetensors");
    QVERIFY2(ck.ok(), ck.ok() ? "" : ck.error().message);
    QVERIFY(ck->family == (sd2 ? ns::sd::SdFamily::Sd2 : ns::sd::SdFamily::Sd1));
    auto u = ns::sd::inferUnetConfig(ck->weights, ns::sd::kUnetPrefix, ck->unetHeads, file);
    QVERIFY2(u.ok(), u.ok() ? "" : u.error().message);
    QCOMPARE(u->modelChannels, 320);
    QVERIFY((u->channelMult == std::vector<int>{1, 2, 4, 4}));
    QCOMPARE(u->numResBlocks, 2);
    QVERIFY((u->attnAtLevel == std::vector<bool>{true, true, true, false}));
    QCOMPARE(u->contextDim, sd2 ? 1024 : 768);
    QCOMPARE(u->linearProj, sd2);
    QVERIFY((u->headsAtLevel == (sd2 ? std::vector<int>{5, 10, 20, 20} : std::vector<int>{8, 8, 8, 8})));
    auto v = ns::sd::inferVaeConfig(ck->weights, ns::sd::kVaePrefix, file);
    QVERIFY2(v.ok(), v.ok() ? "" : v.error().message);
    QCOMPARE(v->ch, 128);
    QVERIFY((v->chMult == std::vector<int>{1, 2, 4, 4}));
    QCOMPARE(v->numResBlocks, 2);
    QCOMPARE(v->embedDim, 4);
    auto t = ns::sd::inferClipTextConfig(ck->text, file);
    QVERIFY2(t.ok(), t.ok() ? "" : t.error().message);
    QCOMPARE(t->vocabSize, int64_t(49408));
    QCOMPARE(t->width, int64_t(sd2 ? 1024 : 768));
    QCOMPARE(t->layers, int64_t(sd2 ? 24 : 12));
    QCOMPARE(t->heads, int64_t(sd2 ? 16 : 12));
    QCOMPARE(ck->textSkipLastLayers, sd2 ? 1 : 0);
    // Every UNet and VAE tensor of the real file is one the native networks have, same shape:
    // a tiny network of the same form names its tensors the same way (checked by pattern, since
    // the full size would allocate 3.4 GB; slow_sd_full_size checks the full set).
    int64_t unetValues = 0, vaeValues = 0;
    for (const auto& [k, tensor] : ck->weights) {
      if (k.rfind(ns::sd::kUnetPrefix, 0) == 0) unetValues += tensor.numel();
      if (k.rfind(ns::sd::kVaePrefix, 0) == 0) vaeValues += tensor.numel();
    }
    QCOMPARE(unetValues, sd2 ? int64_t(865910724) : int64_t(859520964));
    QCOMPARE(vaeValues, int64_t(83653863));
  }
}

void TstSdNetworks::cleanupTestCase() {
  std::error_code ec;
  fs::remove_all(tempDir(), ec);
}

NS_REGISTER_TEST(TstSdNetworks, mappedFileEqualsReadFile, chunkedAttentionEqualsOnePiece, unetConfigAndOutputsRoundTrip,
                 unetRunsOddLatentSizes, vaeConfigAndOutputsRoundTrip, familyDetectionRefusesByName,
                 singleFileLoadsAndRuns, realKeyListsMatchTheLoader, cleanupTestCase)
#ifdef NS_HAVE_QTEST
#include "tst_sd_networks.moc"
#endif
