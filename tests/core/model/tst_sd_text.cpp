// Tests the native CLIP text towers (core/model/sd/clip_text_*.h, open_clip_names.h,
// sd_text_conditioner.h) on random tiny towers against an fp64 reference written out in
// sd_text_fixtures.h, and on the Python reference fixtures in tests/data/sd/ (openai CLIP /
// OpenCLIP outputs for SD 1.x and SD 2.x towers).
#include "tests/support/ns_test.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <set>

#include "core/model/clip_tokenizer.h"
#include "core/model/safetensors.h"
#include "core/model/sd/clip_text_config.h"
#include "core/model/sd/clip_text_model.h"
#include "core/model/sd/open_clip_names.h"
#include "core/model/sd/sd_text_conditioner.h"
#include "tests/core/model/sd_text_fixtures.h"

namespace {

using ns::sd::ClipTextConfig;
using ns::sd::ClipTextModel;
using ns::sd::WeightMap;
using Act = ns::sd::ClipTextConfig::Activation;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

ClipTextConfig tinyConfig(const WeightMap& w, int64_t heads, Act act, int skip) {
  auto c = ns::sd::inferClipTextConfig(w, "tiny.safetensors", heads);
  if (!c.ok()) return {};
  c->activation = act;
  c->skipLastLayers = skip;
  return c.value();
}

std::string sdData(const std::string& name) { return nstest::dataDir() + "/sd/" + name; }

// Tensors of `file` whose names start with `prefix`, prefix removed (what the SD loader hands the
// text tower).
WeightMap stripped(const ns::SafetensorsFile& file, const std::string& prefix) {
  WeightMap w;
  for (const auto& [name, t] : file.tensors)
    if (name.compare(0, prefix.size(), prefix) == 0) w[name.substr(prefix.size())] = t;
  return w;
}

// The tiny fixture's text configuration (heads and activation are not in the weights).
nlohmann::json fixtureTextConfig(const std::string& family) {
  std::ifstream in(sdData("sd_tiny_configs.json"));
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false)[family]["text"];
}

// The text-tower tensors of a real checkpoint's key list (name<TAB>comma-separated shape) as
// shape-only meta tensors, prefix removed: no weights needed.
WeightMap keyListTower(const std::string& file, const std::string& prefix) {
  WeightMap w;
  std::ifstream in(sdData(file));
  std::string line;
  while (std::getline(in, line)) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos || line.compare(0, prefix.size(), prefix) != 0) continue;
    std::vector<int64_t> shape;
    for (size_t p = tab + 1; p < line.size();) {
      size_t e = line.find(',', p);
      if (e == std::string::npos) e = line.size();
      shape.push_back(std::stoll(line.substr(p, e - p)));
      p = e + 1;
    }
    w[line.substr(prefix.size(), tab - prefix.size())] = at::empty(shape, at::TensorOptions().device(at::kMeta));
  }
  return w;
}

at::Tensor randomIds(int64_t b, int64_t len, int64_t vocab, uint64_t seed) {
  at::manual_seed(seed);
  return at::randint(0, vocab, {b, len}, at::kLong);
}

}  // namespace

class TstSdText : public QObject {
  Q_OBJECT
 private slots:
  void configFromShapes();
  void configErrorsNameTheTensor();
  void openClipSplitsInProjExactly();
  void openClipRefusesUnknownNames();
  void forwardMatchesFp64Reference();
  void attentionIsCausal();
  void penultimateSkipsTheLastBlock();
  void halfWeightsConvertOnceKeepingSubnormals();
  void loadErrorsNameTheTensor();
  void badIdsThrowNamingTheSource();
  void conditionerPadsAndCaches();
  void sd1MatchesOpenaiClip();
  void sd2MatchesOpenClipPenultimate();
  void tokenizerMatchesClip();
  void conditionerEndToEnd();
  void realKeyListsGiveTheRealTowers();
};

void TstSdText::configFromShapes() {
  sdtext::TowerShape s{40, 128, 3, 16, 512};
  WeightMap w = sdtext::randomTower(s, 1);
  w["text_model.embeddings.position_ids"] = at::arange(16, at::kLong).unsqueeze(0);  // never required, ignored
  auto c = ns::sd::inferClipTextConfig(w, "a.safetensors");
  QVERIFY2(c.ok(), c.ok() ? "" : c.error().message);
  QCOMPARE(c->vocabSize, int64_t(40));
  QCOMPARE(c->width, int64_t(128));
  QCOMPARE(c->layers, int64_t(3));
  QCOMPARE(c->maxPositions, int64_t(16));
  QCOMPARE(c->mlpWidth, int64_t(512));
  QCOMPARE(c->heads, int64_t(2));  // 128 / 64: the real towers' head width
  QVERIFY(c->activation == Act::Invalid);  // the weights cannot say; the family decides
  QCOMPARE(c->skipLastLayers, 0);
  auto c4 = ns::sd::inferClipTextConfig(w, "a.safetensors", 4);
  QVERIFY(c4.ok());
  QCOMPARE(c4->heads, int64_t(4));
  w.erase("text_model.embeddings.position_ids");
  auto c2 = ns::sd::inferClipTextConfig(w, "a.safetensors");
  QVERIFY(c2.ok());
  QCOMPARE(c2->layers, int64_t(3));
  QVERIFY(ns::sd::activationFromName("quick_gelu") == Act::QuickGelu);
  QVERIFY(ns::sd::activationFromName("gelu") == Act::Gelu);
  QVERIFY(ns::sd::activationFromName("relu") == Act::Invalid);
}

void TstSdText::configErrorsNameTheTensor() {
  const WeightMap good = sdtext::randomTower({40, 32, 3, 16, 128}, 2);
  // Width 32 does not hold a 64-wide head: the caller must say how many heads.
  auto noHeads = ns::sd::inferClipTextConfig(good, "a.safetensors");
  QVERIFY(!noHeads.ok());
  QVERIFY2(contains(noHeads.error().message, "heads") && contains(noHeads.error().message, "a.safetensors"),
           noHeads.error().message);
  auto badHeads = ns::sd::inferClipTextConfig(good, "a.safetensors", 5);
  QVERIFY(!badHeads.ok());

  WeightMap w = good;
  w.erase("text_model.embeddings.token_embedding.weight");
  auto noTok = ns::sd::inferClipTextConfig(w, "a.safetensors", 4);
  QVERIFY(!noTok.ok());
  QVERIFY2(contains(noTok.error().message, "'text_model.embeddings.token_embedding.weight'"), noTok.error().message);

  w = good;
  w.erase("text_model.final_layer_norm.weight");
  auto noFinal = ns::sd::inferClipTextConfig(w, "a.safetensors", 4);
  QVERIFY(!noFinal.ok());
  QVERIFY2(contains(noFinal.error().message, "final_layer_norm.weight"), noFinal.error().message);

  // A gap in the block numbering is damage, not a shorter tower.
  w = good;
  w.erase(sdtext::block(1) + "mlp.fc1.weight");
  auto gap = ns::sd::inferClipTextConfig(w, "a.safetensors", 4);
  QVERIFY(!gap.ok());
  QVERIFY2(contains(gap.error().message, "layers.1.mlp.fc1.weight"), gap.error().message);

  w = good;
  w["text_model.embeddings.position_embedding.weight"] = at::zeros({16, 31});
  auto narrow = ns::sd::inferClipTextConfig(w, "a.safetensors", 4);
  QVERIFY(!narrow.ok());
  QVERIFY2(contains(narrow.error().message, "position_embedding"), narrow.error().message);
}

void TstSdText::openClipSplitsInProjExactly() {
  const sdtext::TowerShape s{40, 24, 2, 16, 96};
  const WeightMap hf = sdtext::randomTower(s, 3);
  const WeightMap oc = sdtext::toOpenClip(hf, s.layers);
  auto back = ns::sd::openClipToHf(oc, "sd2.safetensors");
  QVERIFY2(back.ok(), back.ok() ? "" : back.error().message);
  // Exactly the HF names (text_projection and logit_scale dropped), each tensor bit-identical.
  std::set<std::string> want, got;
  for (const auto& kv : hf) want.insert(kv.first);
  for (const auto& kv : *back) got.insert(kv.first);
  QVERIFY(got == want);
  for (const auto& [name, t] : hf) {
    const at::Tensor& b = back->at(name);
    QVERIFY2(b.sizes() == t.sizes() && at::equal(b, t), "differs: " + name);
  }
  // q, k, v are the row thirds of in_proj, in that order.
  const at::Tensor inW = oc.at("transformer.resblocks.1.attn.in_proj_weight");
  QVERIFY(at::equal(back->at(sdtext::block(1) + "self_attn.k_proj.weight"), inW.slice(0, 24, 48)));
  QVERIFY(at::equal(back->at(sdtext::block(1) + "self_attn.v_proj.bias"),
                    oc.at("transformer.resblocks.1.attn.in_proj_bias").slice(0, 48, 72)));
}

void TstSdText::openClipRefusesUnknownNames() {
  const WeightMap hf = sdtext::randomTower({40, 24, 2, 16, 96}, 4);
  WeightMap oc = sdtext::toOpenClip(hf, 2);
  oc["visual.conv1.weight"] = at::zeros({2, 3, 4, 4});  // a full CLIP checkpoint's image tower: skipped
  oc["attn_mask"] = at::zeros({16, 16});
  QVERIFY(ns::sd::openClipToHf(oc, "x").ok());

  WeightMap odd = oc;
  odd["transformer.resblocks.0.attn.rotary"] = at::zeros({3});
  auto r = ns::sd::openClipToHf(odd, "sd2.safetensors");
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "'transformer.resblocks.0.attn.rotary'") &&
               contains(r.error().message, "sd2.safetensors"),
           r.error().message);

  WeightMap bad = oc;
  bad["transformer.resblocks.1.attn.in_proj_weight"] = at::zeros({70, 24});
  auto b = ns::sd::openClipToHf(bad, "sd2.safetensors");
  QVERIFY(!b.ok());
  QVERIFY2(contains(b.error().message, "transformer.resblocks.1.attn.in_proj_weight") &&
               contains(b.error().message, "[70, 24]"),
           b.error().message);

  WeightMap other = oc;
  other["model.diffusion_model.out.2.weight"] = at::zeros({4});
  QVERIFY(!ns::sd::openClipToHf(other, "x").ok());
}

void TstSdText::forwardMatchesFp64Reference() {
  const sdtext::TowerShape s{50, 32, 3, 20, 128};
  const WeightMap w = sdtext::randomTower(s, 5);
  const at::Tensor ids = randomIds(2, 13, s.vocab, 6);
  for (Act act : {Act::QuickGelu, Act::Gelu}) {
    for (int skip : {0, 1}) {
      const ClipTextConfig c = tinyConfig(w, 4, act, skip);
      auto m = ClipTextModel::fromWeights(w, c, "tiny.safetensors");
      QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
      const at::Tensor out = (*m)->forward(ids);
      QVERIFY(out.scalar_type() == at::kFloat);
      QVERIFY((out.sizes() == at::IntArrayRef{2, 13, 32}));
      const double rel = sdtext::relDiff(out, sdtext::referenceForward(w, c, ids));
      QVERIFY2(rel < 2e-6, std::string(ns::sd::toString(act)) + " skip " + std::to_string(skip) +
                               ": rel diff " + std::to_string(rel));
      // Full-length sequences too (the position table's last row is used).
      const at::Tensor full = randomIds(1, s.positions, s.vocab, 7);
      QVERIFY(sdtext::relDiff((*m)->forward(full), sdtext::referenceForward(w, c, full)) < 2e-6);
    }
  }
  // The two activations really differ on these weights (the test would notice a mix-up).
  auto q = ClipTextModel::fromWeights(w, tinyConfig(w, 4, Act::QuickGelu, 0), "t");
  auto g = ClipTextModel::fromWeights(w, tinyConfig(w, 4, Act::Gelu, 0), "t");
  QVERIFY(sdtext::relDiff((*q)->forward(ids), (*g)->forward(ids)) > 1e-3);
  // Parameters: every tensor of the tower once.
  int64_t n = 0;
  for (const auto& kv : w) n += kv.second.numel();
  QCOMPARE((*q)->parameterCount(), n);
}

void TstSdText::attentionIsCausal() {
  const sdtext::TowerShape s{50, 32, 2, 20, 128};
  const WeightMap w = sdtext::randomTower(s, 8);
  auto m = ClipTextModel::fromWeights(w, tinyConfig(w, 2, Act::QuickGelu, 0), "t");
  QVERIFY(m.ok());
  const at::Tensor ids = randomIds(1, 20, s.vocab, 9);
  const at::Tensor base = (*m)->forward(ids);
  for (int64_t k : {0, 5, 19}) {
    at::Tensor changed = ids.clone();
    changed[0][k] = (ids[0][k].item<int64_t>() + 7) % s.vocab;
    const at::Tensor out = (*m)->forward(changed);
    // Positions before k never see token k; position k and later do.
    if (k > 0)
      QVERIFY2(sdtext::relDiff(out.slice(1, 0, k), base.slice(1, 0, k)) < 1e-6, "position < " + std::to_string(k));
    for (int64_t j = k; j < 20; ++j)
      QVERIFY2(sdtext::relDiff(out.slice(1, j, j + 1), base.slice(1, j, j + 1)) > 1e-4,
               "position " + std::to_string(j) + " ignores token " + std::to_string(k));
  }
}

void TstSdText::penultimateSkipsTheLastBlock() {
  // A 3-block file run with skip 1 is the same network as its first 2 blocks with skip 0 (SD 2.x's
  // single file vs its diffusers text_encoder), and never needs the third block's tensors.
  const sdtext::TowerShape s{50, 32, 3, 20, 128};
  WeightMap w = sdtext::randomTower(s, 10);
  const at::Tensor ids = randomIds(2, 20, s.vocab, 11);
  auto skip = ClipTextModel::fromWeights(w, tinyConfig(w, 4, Act::Gelu, 1), "sd2.safetensors");
  QVERIFY(skip.ok());
  WeightMap two = w;
  for (auto it = two.begin(); it != two.end();) it = contains(it->first, "layers.2.") ? two.erase(it) : std::next(it);
  auto short2 = ClipTextModel::fromWeights(two, tinyConfig(two, 4, Act::Gelu, 0), "text_encoder");
  QVERIFY(short2.ok());
  QCOMPARE((*skip)->config().layers, int64_t(3));
  QCOMPARE((*short2)->config().layers, int64_t(2));
  QVERIFY(at::equal((*skip)->forward(ids), (*short2)->forward(ids)));
  QCOMPARE((*skip)->parameterCount(), (*short2)->parameterCount());
  // ... and differs from running all three.
  auto all = ClipTextModel::fromWeights(w, tinyConfig(w, 4, Act::Gelu, 0), "sd2.safetensors");
  QVERIFY(sdtext::relDiff((*all)->forward(ids), (*skip)->forward(ids)) > 1e-3);
}

void TstSdText::halfWeightsConvertOnceKeepingSubnormals() {
  const sdtext::TowerShape s{50, 32, 2, 20, 128};
  WeightMap half = sdtext::randomTower(s, 12, at::kHalf);
  // 2^-20 is an F16 subnormal (smallest normal 2^-14); a flush would make it 0.
  const float sub = std::ldexp(1.0f, -20);
  half["text_model.embeddings.token_embedding.weight"][3][5] = sub;
  QCOMPARE(half["text_model.embeddings.token_embedding.weight"][3][5].item<float>(), sub);
  half["text_model.embeddings.position_ids"] = at::arange(20, at::kFloat).unsqueeze(0);  // float variant, ignored
  WeightMap f32, bf16;
  for (const auto& [k, t] : half) {
    f32[k] = t.to(at::kFloat);
    bf16[k] = t.to(at::kBFloat16);
  }
  const ClipTextConfig c = tinyConfig(half, 4, Act::QuickGelu, 0);
  auto mh = ClipTextModel::fromWeights(half, c, "half.safetensors");
  auto mf = ClipTextModel::fromWeights(f32, c, "float.safetensors");
  auto mb = ClipTextModel::fromWeights(bf16, c, "bf16.safetensors");
  QVERIFY2(mh.ok(), mh.ok() ? "" : mh.error().message);
  QVERIFY(mf.ok() && mb.ok());
  const at::Tensor tok = (*mh)->parameter("text_model.embeddings.token_embedding.weight");
  QVERIFY(tok.scalar_type() == at::kFloat);
  QCOMPARE(tok[3][5].item<float>(), sub);
  QVERIFY(at::equal(tok, f32.at("text_model.embeddings.token_embedding.weight")));
  const at::Tensor ids = randomIds(2, 20, s.vocab, 13);
  const at::Tensor oh = (*mh)->forward(ids);
  QVERIFY(oh.scalar_type() == at::kFloat);
  QVERIFY(at::equal(oh, (*mf)->forward(ids)));
  // BF16 storage rounds the weights further, but loads and runs in fp32 the same way.
  const at::Tensor ob = (*mb)->forward(ids);
  QVERIFY(ob.scalar_type() == at::kFloat);
  QVERIFY(sdtext::relDiff(ob, oh) < 0.05);
  QVERIFY(!(*mh)->parameter("text_model.embeddings.position_ids").defined());
  QVERIFY(!(*mh)->parameter("no.such").defined());
}

void TstSdText::loadErrorsNameTheTensor() {
  const sdtext::TowerShape s{50, 32, 2, 20, 128};
  const WeightMap good = sdtext::randomTower(s, 14);
  const ClipTextConfig c = tinyConfig(good, 4, Act::QuickGelu, 0);
  QVERIFY(ClipTextModel::fromWeights(good, c, "m.safetensors").ok());

  WeightMap w = good;
  w.erase(sdtext::block(1) + "mlp.fc2.bias");
  auto missing = ClipTextModel::fromWeights(w, c, "m.safetensors");
  QVERIFY(!missing.ok());
  QVERIFY2(contains(missing.error().message, "m.safetensors") &&
               contains(missing.error().message, "'text_model.encoder.layers.1.mlp.fc2.bias'"),
           missing.error().message);

  w = good;
  w[sdtext::block(0) + "layer_norm2.weight"] = at::ones({33});
  auto shape = ClipTextModel::fromWeights(w, c, "m.safetensors");
  QVERIFY(!shape.ok());
  QVERIFY2(contains(shape.error().message, "'text_model.encoder.layers.0.layer_norm2.weight'") &&
               contains(shape.error().message, "[33]") && contains(shape.error().message, "[32]"),
           shape.error().message);

  w = good;
  w[sdtext::block(1) + "self_attn.k_proj.weight"] = at::zeros({32, 31});
  auto qkv = ClipTextModel::fromWeights(w, c, "m.safetensors");
  QVERIFY(!qkv.ok());
  QVERIFY2(contains(qkv.error().message, "layers.1.self_attn.k_proj.weight"), qkv.error().message);

  ClipTextConfig noAct = c;
  noAct.activation = Act::Invalid;
  auto act = ClipTextModel::fromWeights(good, noAct, "m.safetensors");
  QVERIFY(!act.ok());
  QVERIFY2(contains(act.error().message, "activation"), act.error().message);
  ClipTextConfig tooMany = c;
  tooMany.skipLastLayers = 2;
  QVERIFY(!ClipTextModel::fromWeights(good, tooMany, "m.safetensors").ok());
  ClipTextConfig heads = c;
  heads.heads = 5;
  QVERIFY(!ClipTextModel::fromWeights(good, heads, "m.safetensors").ok());
}

void TstSdText::badIdsThrowNamingTheSource() {
  const sdtext::TowerShape s{50, 32, 1, 20, 128};
  const WeightMap w = sdtext::randomTower(s, 15);
  auto m = ClipTextModel::fromWeights(w, tinyConfig(w, 4, Act::QuickGelu, 0), "m.safetensors");
  QVERIFY(m.ok());
  auto message = [&](const at::Tensor& ids) -> std::string {
    try {
      (*m)->forward(ids);
    } catch (const c10::Error& e) {
      return e.what_without_backtrace();
    }
    return "";
  };
  const std::string big = message(at::full({1, 4}, 50, at::kLong));
  QVERIFY2(contains(big, "m.safetensors") && contains(big, "vocabulary"), big);
  QVERIFY(contains(message(at::full({1, 4}, -1, at::kLong)), "vocabulary"));
  QVERIFY(contains(message(at::zeros({1, 21}, at::kLong)), "1..20"));
  QVERIFY(contains(message(at::zeros({1, 4}, at::kInt)), "int64"));
  QVERIFY(contains(message(at::zeros({4}, at::kLong)), "[B,L]"));
}

void TstSdText::conditionerPadsAndCaches() {
  auto tok = ns::ClipTokenizer::fromFiles(nstest::dataDir() + "/clip_tiny/vocab.json",
                                          nstest::dataDir() + "/clip_tiny/merges.txt");
  QVERIFY(tok.ok());
  const sdtext::TowerShape s{38, 32, 2, 77, 128};  // the fixture vocabulary: 38 tokens
  const WeightMap w = sdtext::randomTower(s, 16);
  auto m = ClipTextModel::fromWeights(w, tinyConfig(w, 4, Act::QuickGelu, 0), "m.safetensors");
  QVERIFY(m.ok());
  ns::sd::SdTextConditioner sd1(*tok, *m, ns::sd::PadPolicy::EndToken);
  ns::sd::SdTextConditioner sd2(*tok, *m, ns::sd::PadPolicy::Zero);

  // "hello cat" -> 34 31 27 35, then the padding.
  const ns::ClipTokens t1 = sd1.tokenize("hello cat"), t2 = sd2.tokenize("hello cat");
  QCOMPARE(int(t1.ids.size()), 77);
  QVERIFY((std::vector<int64_t>(t1.ids.begin(), t1.ids.begin() + 5) == std::vector<int64_t>{34, 31, 27, 35, 35}));
  QVERIFY((std::vector<int64_t>(t2.ids.begin(), t2.ids.begin() + 5) == std::vector<int64_t>{34, 31, 27, 35, 0}));
  QCOMPARE(t1.ids[76], int64_t(35));
  QCOMPARE(t2.ids[76], int64_t(0));

  auto e1 = sd1.encode("hello cat");
  auto e2 = sd2.encode("hello cat");
  QVERIFY2(e1.ok(), e1.ok() ? "" : e1.error().message);
  QVERIFY(e2.ok());
  const at::Tensor c1 = e1->cond.context, c2 = e2->cond.context;
  QVERIFY((c1.sizes() == at::IntArrayRef{1, 77, 32}));
  QVERIFY(c1.scalar_type() == at::kFloat);
  QVERIFY(e1->unknownWords.empty());
  // The conditioner runs the model on exactly the tokenizer's ids.
  QVERIFY(at::equal(c1, (*m)->forward(at::tensor(t1.ids, at::kLong).reshape({1, 77}))));
  // Causal attention: padding changes nothing up to the end token, everything after it.
  QVERIFY(at::equal(c1.slice(1, 0, 4), c2.slice(1, 0, 4)));
  QVERIFY(sdtext::relDiff(c1.slice(1, 4, 77), c2.slice(1, 4, 77)) > 1e-3);

  // Pieces the vocabulary lacks are reported.
  auto unk = sd1.encode("cat cé");
  QVERIFY(unk.ok());
  QVERIFY2((unk->unknownWords == std::vector<std::string>{"\xC3\x83", "\xC2\xA9</w>"}),
           std::to_string(unk->unknownWords.size()));

  // The unconditional embedding is computed once and then served from the cache.
  auto u1 = sd1.encode("");
  auto u2 = sd1.encode("");
  QVERIFY(u1.ok() && u2.ok());
  QVERIFY(u1->cond.context.data_ptr() == u2->cond.context.data_ptr());
  QVERIFY(at::equal(u1->cond.context, (*m)->forward(at::tensor(sd1.tokenize("").ids, at::kLong).reshape({1, 77}))));
  // A too-long prompt is cut to 76 tokens + end (and logged).
  std::string longPrompt;
  for (int i = 0; i < 100; ++i) longPrompt += "cat ";
  const ns::ClipTokens cut = sd1.tokenize(longPrompt);
  QVERIFY(cut.truncated);
  QCOMPARE(cut.ids[76], int64_t(35));
  QCOMPARE(cut.ids[75], int64_t(27));
  QVERIFY(sd1.encode(longPrompt).ok());
}

// SD 1.x single file: openai CLIP's text tower (quick_gelu, last layer + final LayerNorm), stored
// under cond_stage_model.transformer. in HF names with an int64 position_ids; the diffusers
// text_encoder of the same weights gives the same output.
void TstSdText::sd1MatchesOpenaiClip() {
  auto file = ns::readSafetensors(sdData("sd1_tiny.safetensors"));
  if (!file.ok()) QSKIP("tests/data/sd fixtures missing (tools/sd_fixtures/make_sd_fixtures.py)");
  auto in = ns::readSafetensors(sdData("sd1_inputs.safetensors"));
  auto ref = ns::readSafetensors(sdData("sd1_reference.safetensors"));
  QVERIFY(in.ok() && ref.ok());
  const nlohmann::json tc = fixtureTextConfig("sd1");
  const WeightMap w = stripped(*file, "cond_stage_model.transformer.");
  QVERIFY(w.count("text_model.embeddings.position_ids"));
  QVERIFY(w.at("text_model.final_layer_norm.weight").scalar_type() == at::kHalf);
  auto cfg = ns::sd::inferClipTextConfig(w, "sd1_tiny.safetensors", tc["heads"].get<int64_t>());
  QVERIFY2(cfg.ok(), cfg.ok() ? "" : cfg.error().message);
  QCOMPARE(cfg->layers, tc["layers"].get<int64_t>());
  QCOMPARE(cfg->vocabSize, int64_t(602));
  QCOMPARE(cfg->maxPositions, int64_t(77));
  cfg->activation = ns::sd::activationFromName(tc["activation"].get<std::string>());
  QVERIFY(cfg->activation == Act::QuickGelu);
  auto m = ClipTextModel::fromWeights(w, *cfg, "sd1_tiny.safetensors");
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
  const at::Tensor out = (*m)->forward(in->tensors.at("text.ids"));
  const at::Tensor want = ref->tensors.at("text.hidden");
  QVERIFY(out.sizes() == want.sizes());
  const double rel = sdtext::relDiff(out, want);
  qInfo("SD1 text tower vs openai CLIP: max|diff|/max|ref| = %.3g", rel);
  QVERIFY2(rel < 1e-4, "rel diff " + std::to_string(rel));

  auto diff = ns::readSafetensors(sdData("sd1_tiny_diffusers/text_encoder/model.safetensors"));
  QVERIFY(diff.ok());
  auto dcfg = ns::sd::inferClipTextConfig(diff->tensors, "text_encoder", tc["heads"].get<int64_t>());
  QVERIFY(dcfg.ok());
  dcfg->activation = Act::QuickGelu;
  auto dm = ClipTextModel::fromWeights(diff->tensors, *dcfg, "text_encoder/model.safetensors");
  QVERIFY2(dm.ok(), dm.ok() ? "" : dm.error().message);
  QVERIFY(at::equal((*dm)->forward(in->tensors.at("text.ids")), out));
}

// SD 2.x single file: the OpenCLIP tower (gelu) under cond_stage_model.model., renamed by
// openClipToHf, run to the penultimate block, then ln_final.
void TstSdText::sd2MatchesOpenClipPenultimate() {
  auto file = ns::readSafetensors(sdData("sd2_tiny_v.safetensors"));
  if (!file.ok()) QSKIP("tests/data/sd fixtures missing (tools/sd_fixtures/make_sd_fixtures.py)");
  auto in = ns::readSafetensors(sdData("sd2_inputs.safetensors"));
  auto ref = ns::readSafetensors(sdData("sd2_reference.safetensors"));
  QVERIFY(in.ok() && ref.ok());
  const nlohmann::json tc = fixtureTextConfig("sd2");
  auto w = ns::sd::openClipToHf(stripped(*file, "cond_stage_model.model."), "sd2_tiny_v.safetensors");
  QVERIFY2(w.ok(), w.ok() ? "" : w.error().message);
  auto cfg = ns::sd::inferClipTextConfig(*w, "sd2_tiny_v.safetensors", tc["heads"].get<int64_t>());
  QVERIFY2(cfg.ok(), cfg.ok() ? "" : cfg.error().message);
  QCOMPARE(cfg->layers, int64_t(3));
  cfg->activation = ns::sd::activationFromName(tc["activation"].get<std::string>());
  QVERIFY(cfg->activation == Act::Gelu);
  cfg->skipLastLayers = 1;
  auto m = ClipTextModel::fromWeights(*w, *cfg, "sd2_tiny_v.safetensors");
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message);
  const at::Tensor ids = in->tensors.at("text.ids");
  QCOMPARE(ids[0][76].item<int64_t>(), int64_t(0));  // OpenCLIP pads with 0
  const at::Tensor out = (*m)->forward(ids);
  const double rel = sdtext::relDiff(out, ref->tensors.at("text.hidden"));
  qInfo("SD2 text tower vs OpenCLIP (penultimate): max|diff|/max|ref| = %.3g", rel);
  QVERIFY2(rel < 1e-4, "rel diff " + std::to_string(rel));
  // Running all three blocks is a different (wrong for SD 2.x) output.
  cfg->skipLastLayers = 0;
  auto all = ClipTextModel::fromWeights(*w, *cfg, "sd2_tiny_v.safetensors");
  QVERIFY(all.ok());
  QVERIFY(sdtext::relDiff((*all)->forward(ids), ref->tensors.at("text.hidden")) > 1e-2);
}

// CLIP's SimpleTokenizer ids for the fixture prompts, through the conditioner's pad policies.
void TstSdText::tokenizerMatchesClip() {
  std::ifstream in(sdData("tokenizer_tiny_ids.json"));
  if (!in) QSKIP("tests/data/sd fixtures missing (tools/sd_fixtures/make_sd_fixtures.py)");
  const nlohmann::json j = nlohmann::json::parse(in);
  auto tok = ns::ClipTokenizer::fromFiles(sdData("tokenizer_tiny/vocab.json"), sdData("tokenizer_tiny/merges.txt"));
  QVERIFY2(tok.ok(), tok.ok() ? "" : tok.error().message);
  QCOMPARE(tok->startId(), j["start"].get<int64_t>());
  QCOMPARE(tok->endId(), j["end"].get<int64_t>());
  const WeightMap w = sdtext::randomTower({602, 32, 1, 77, 128}, 17);
  auto m = ClipTextModel::fromWeights(w, tinyConfig(w, 2, Act::QuickGelu, 0), "t");
  QVERIFY(m.ok());
  const ns::sd::SdTextConditioner sd1(*tok, *m, ns::sd::PadPolicy::EndToken), sd2(*tok, *m, ns::sd::PadPolicy::Zero);
  QVERIFY(j["cases"].size() >= 5);
  for (const auto& c : j["cases"]) {
    const std::string text = c["text"].get<std::string>();
    const auto want1 = c["sd1_ids77"].get<std::vector<int64_t>>(), want2 = c["sd2_ids77"].get<std::vector<int64_t>>();
    const ns::ClipTokens t1 = sd1.tokenize(text), t2 = sd2.tokenize(text);
    QVERIFY2(t1.ids == want1, "SD1 ids differ for \"" + text + "\"");
    QVERIFY2(t2.ids == want2, "SD2 ids differ for \"" + text + "\"");
    QVERIFY2(t1.unknownPieces.empty(), "unknown pieces for \"" + text + "\"");
    QCOMPARE(t1.truncated, c["ids"].size() > 75);
  }
}

// Prompt -> [1,77,32] through the fixture tokenizer and the SD 1.x tower: the two prompts of
// sd1_inputs give its text.ids rows and the reference hidden states.
void TstSdText::conditionerEndToEnd() {
  auto file = ns::readSafetensors(sdData("sd1_tiny.safetensors"));
  if (!file.ok()) QSKIP("tests/data/sd fixtures missing (tools/sd_fixtures/make_sd_fixtures.py)");
  auto in = ns::readSafetensors(sdData("sd1_inputs.safetensors"));
  auto ref = ns::readSafetensors(sdData("sd1_reference.safetensors"));
  auto tok = ns::ClipTokenizer::fromFiles(sdData("tokenizer_tiny/vocab.json"), sdData("tokenizer_tiny/merges.txt"));
  QVERIFY(in.ok() && ref.ok() && tok.ok());
  const WeightMap w = stripped(*file, "cond_stage_model.transformer.");
  auto cfg = ns::sd::inferClipTextConfig(w, "sd1_tiny.safetensors", 2);
  QVERIFY(cfg.ok());
  cfg->activation = Act::QuickGelu;
  auto m = ClipTextModel::fromWeights(w, *cfg, "sd1_tiny.safetensors");
  QVERIFY(m.ok());
  ns::sd::SdTextConditioner cond(*tok, *m, ns::sd::PadPolicy::EndToken);
  const char* prompts[2] = {"a red ball on a blue table, 4k photo", "it's a dog's life, isn't it?"};
  for (int64_t r = 0; r < 2; ++r) {
    auto e = cond.encode(prompts[r]);
    QVERIFY2(e.ok(), e.ok() ? "" : e.error().message);
    QVERIFY(e->unknownWords.empty());
    const at::Tensor wantIds = in->tensors.at("text.ids")[r];
    QVERIFY2(at::equal(at::tensor(cond.tokenize(prompts[r]).ids, at::kLong), wantIds), prompts[r]);
    const double rel = sdtext::relDiff(e->cond.context[0], ref->tensors.at("text.hidden")[r]);
    QVERIFY2(rel < 1e-4, std::string(prompts[r]) + ": rel diff " + std::to_string(rel));
  }
}

// SD 1.5's and SD 2.1's real text-tower names and shapes (tests/data/sd/keys_sd*.txt) read as the
// real towers: ViT-L (12 × 768, 12 heads, 123,060,480 parameters) and ViT-H (24 × 1024, 16 heads;
// the 23 blocks SD 2.x runs plus embeddings and final LayerNorm: 340,387,840 parameters, diffusers'
// SD 2 text_encoder).
void TstSdText::realKeyListsGiveTheRealTowers() {
  const WeightMap sd15 = keyListTower("keys_sd15.txt", "cond_stage_model.transformer.");
  if (sd15.empty()) QSKIP("tests/data/sd/keys_sd15.txt missing");
  auto c1 = ns::sd::inferClipTextConfig(sd15, "keys_sd15.txt");
  QVERIFY2(c1.ok(), c1.ok() ? "" : c1.error().message);
  QCOMPARE(c1->vocabSize, int64_t(49408));
  QCOMPARE(c1->width, int64_t(768));
  QCOMPARE(c1->layers, int64_t(12));
  QCOMPARE(c1->heads, int64_t(12));
  QCOMPARE(c1->maxPositions, int64_t(77));
  QCOMPARE(c1->mlpWidth, int64_t(3072));
  int64_t n1 = 0;
  for (const auto& [k, t] : sd15)
    if (k != "text_model.embeddings.position_ids") n1 += t.numel();
  QCOMPARE(n1, int64_t(123060480));

  auto sd21 = ns::sd::openClipToHf(keyListTower("keys_sd21.txt", "cond_stage_model.model."), "keys_sd21.txt");
  QVERIFY2(sd21.ok(), sd21.ok() ? "" : sd21.error().message);
  auto c2 = ns::sd::inferClipTextConfig(*sd21, "keys_sd21.txt");
  QVERIFY2(c2.ok(), c2.ok() ? "" : c2.error().message);
  QCOMPARE(c2->width, int64_t(1024));
  QCOMPARE(c2->layers, int64_t(24));
  QCOMPARE(c2->heads, int64_t(16));
  QCOMPARE(c2->mlpWidth, int64_t(4096));
  QCOMPARE(c2->vocabSize, int64_t(49408));
  QVERIFY(!sd21->count("text_projection") && !sd21->count("logit_scale"));
  QVERIFY((sd21->at(sdtext::block(23) + "self_attn.v_proj.weight").sizes() == at::IntArrayRef{1024, 1024}));
  int64_t n2 = 0;
  for (const auto& [k, t] : *sd21)
    if (!contains(k, "layers.23.")) n2 += t.numel();
  QCOMPARE(n2, int64_t(340387840));
}

NS_REGISTER_TEST(TstSdText, configFromShapes, configErrorsNameTheTensor, openClipSplitsInProjExactly,
                 openClipRefusesUnknownNames, forwardMatchesFp64Reference, attentionIsCausal,
                 penultimateSkipsTheLastBlock, halfWeightsConvertOnceKeepingSubnormals, loadErrorsNameTheTensor,
                 badIdsThrowNamingTheSource, conditionerPadsAndCaches, sd1MatchesOpenaiClip,
                 sd2MatchesOpenClipPenultimate, tokenizerMatchesClip, conditionerEndToEnd,
                 realKeyListsGiveTheRealTowers)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_sd_text.moc"
#endif
