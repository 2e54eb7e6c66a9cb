#include "core/model/sd/motion_module.h"

#include <c10/core/InferenceMode.h>
#include <torch/torch.h>

#include <cmath>
#include <map>

#include "core/model/module_weights.h"
#include "core/model/sd/sd_attention.h"
#include "core/model/sd/sd_layers.h"

namespace ns::sd {

namespace tnn = torch::nn;
using torch::Tensor;

namespace {

// AnimateDiff's PositionalEncoding: pe[p, 2i] = sin(p·10000^(-2i/d)), pe[p, 2i+1] = cos(...).
// Computed, not read: the released files store it (often in fp16), the reference code recomputes
// it in fp32 (a non-persistent buffer), and so do we; the file only tells its length.
Tensor sinusoid(int64_t maxLen, int64_t dim) {
  Tensor position = torch::arange(maxLen, torch::kFloat32).unsqueeze(1);
  Tensor divTerm = torch::exp(torch::arange(0, dim, 2, torch::kFloat32) * (-std::log(10000.0) / double(dim)));
  Tensor pe = torch::zeros({maxLen, dim});
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, torch::indexing::None, 2)},
                torch::sin(position * divTerm));
  pe.index_put_({torch::indexing::Slice(), torch::indexing::Slice(1, torch::indexing::None, 2)},
                torch::cos(position * divTerm).narrow(1, 0, dim / 2));
  return pe;
}

struct TemporalAttentionImpl : tnn::Module {
  layers::Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr};
  tnn::Sequential to_out{nullptr};
  int64_t heads;
  explicit TemporalAttentionImpl(int dim, int heads_) : heads(heads_) {
    to_q = register_module("to_q", layers::Linear(dim, dim, false));
    to_k = register_module("to_k", layers::Linear(dim, dim, false));
    to_v = register_module("to_v", layers::Linear(dim, dim, false));
    to_out = register_module("to_out", tnn::Sequential(layers::Linear(dim, dim), tnn::Dropout(0.0)));
  }
  // x [N, F, dim] (already position-encoded) -> [N, F, dim]
  Tensor forward(const Tensor& x) {
    return to_out->forward(multiHeadAttention(to_q->forward(x), to_k->forward(x), to_v->forward(x), heads));
  }
};
TORCH_MODULE(TemporalAttention);

struct GegluFeedForwardImpl : tnn::Module {
  tnn::Sequential net{nullptr};
  struct GegluImpl : tnn::Module {
    layers::Linear proj{nullptr};
    GegluImpl(int in, int out) { proj = register_module("proj", layers::Linear(in, out * 2)); }
    Tensor forward(const Tensor& x) {
      auto parts = proj->forward(x).chunk(2, -1);
      return parts[0] * torch::gelu(parts[1]);
    }
  };
  explicit GegluFeedForwardImpl(int dim) {
    net = register_module("net", tnn::Sequential(std::make_shared<GegluImpl>(dim, dim * 4), tnn::Dropout(0.0),
                                                 layers::Linear(dim * 4, dim)));
  }
  Tensor forward(const Tensor& x) { return net->forward(x); }
};
TORCH_MODULE(GegluFeedForward);

struct TemporalBlockImpl : tnn::Module {
  tnn::ModuleList attention_blocks{nullptr}, norms{nullptr};
  GegluFeedForward ff{nullptr};
  layers::LayerNorm ff_norm{nullptr};
  TemporalBlockImpl(int dim, int heads, int attentions) {
    attention_blocks = register_module("attention_blocks", tnn::ModuleList());
    norms = register_module("norms", tnn::ModuleList());
    for (int a = 0; a < attentions; ++a) {
      attention_blocks->push_back(TemporalAttention(dim, heads));
      norms->push_back(layers::LayerNorm(dim, 1e-5));
    }
    ff = register_module("ff", GegluFeedForward(dim));
    ff_norm = register_module("ff_norm", layers::LayerNorm(dim, 1e-5));
  }
};
TORCH_MODULE(TemporalBlock);

struct TemporalTransformerImpl : tnn::Module {
  layers::GroupNorm norm{nullptr};
  layers::Linear proj_in{nullptr}, proj_out{nullptr};
  tnn::ModuleList transformer_blocks{nullptr};
  TemporalTransformerImpl(int channels, int inner, int heads, int blocks, int attentions, int groups) {
    norm = register_module("norm", layers::GroupNorm(groups, channels, 1e-6));
    proj_in = register_module("proj_in", layers::Linear(channels, inner));
    transformer_blocks = register_module("transformer_blocks", tnn::ModuleList());
    for (int l = 0; l < blocks; ++l) transformer_blocks->push_back(TemporalBlock(inner, heads, attentions));
    proj_out = register_module("proj_out", layers::Linear(inner, channels));
  }
};
TORCH_MODULE(TemporalTransformer);

// VanillaTemporalModule: just the transformer, named "temporal_transformer".
struct VanillaTemporalModuleImpl : tnn::Module {
  TemporalTransformer temporal_transformer{nullptr};
  VanillaTemporalModuleImpl(const MotionModuleShape& s, const MotionConfig& c) {
    temporal_transformer = register_module(
        "temporal_transformer", TemporalTransformer(s.channels, s.innerDim, c.heads, c.transformerBlocks, c.attentionBlocks, c.groups));
  }
};
TORCH_MODULE(VanillaTemporalModule);

// The container whose children are named by site, so parameter names are the file's.
struct AllModulesImpl : tnn::Module {
  std::map<UnetSite, VanillaTemporalModule> bySite;
  explicit AllModulesImpl(const MotionConfig& c) {
    // Register as a tree "down_blocks" -> "<i>" -> "motion_modules" -> "<j>" so names match.
    std::map<std::string, std::shared_ptr<tnn::Module>> parts;
    auto child = [](const std::shared_ptr<tnn::Module>& parent, const std::string& name) {
      for (const auto& item : parent->named_children())
        if (item.key() == name) return item.value();
      return parent->register_module(name, std::make_shared<tnn::Module>());
    };
    std::shared_ptr<tnn::Module> self = std::shared_ptr<tnn::Module>(this, [](tnn::Module*) {});
    for (const auto& s : c.modules) {
      VanillaTemporalModule mod(s, c);
      std::shared_ptr<tnn::Module> holder;
      if (s.site.part == UnetSite::Part::Mid) {
        holder = child(child(self, "mid_block"), "motion_modules");
      } else {
        holder = child(child(child(self, s.site.part == UnetSite::Part::Down ? "down_blocks" : "up_blocks"),
                             std::to_string(s.site.block)),
                       "motion_modules");
      }
      holder->register_module(std::to_string(s.site.index), mod.ptr());
      bySite.emplace(s.site, mod);
    }
  }
};
TORCH_MODULE(AllModules);

}  // namespace

struct MotionModules::Impl {
  MotionConfig cfg;
  AllModules net{nullptr};
  std::map<int64_t, Tensor> peByDim;  // the position table [maxFrames, width] for each module width
  TemporalAttentionHook hook;
  at::Device device{at::kCPU};
  at::ScalarType dtype = at::kFloat;
  bool training = false;

  const Tensor& positions(int64_t dim) {
    auto it = peByDim.find(dim);
    if (it == peByDim.end()) it = peByDim.emplace(dim, sinusoid(cfg.maxFrames, dim).to(device, dtype)).first;
    return it->second;
  }
};

MotionModules::MotionModules(std::unique_ptr<Impl> impl) : m(std::move(impl)) {}
MotionModules::~MotionModules() = default;

Result<std::shared_ptr<MotionModules>> MotionModules::create(const MotionConfig& config, const WeightMap& w,
                                                             const std::string& source) {
  auto impl = std::make_unique<Impl>();
  impl->cfg = config;
  try {
    impl->net = AllModules(config);
  } catch (const std::exception& e) {
    return makeError(ErrorKind::Model, source + ": cannot build the motion modules: " + e.what());
  }
  auto r = loadModuleState(*impl->net, w, "", source);
  if (!r.ok()) return r.error();
  impl->net->eval();
  return std::shared_ptr<MotionModules>(new MotionModules(std::move(impl)));
}

std::shared_ptr<MotionModules> MotionModules::createRandom(const MotionConfig& config, uint64_t seed) {
  torch::manual_seed(seed);
  auto impl = std::make_unique<Impl>();
  impl->cfg = config;
  impl->net = AllModules(config);
  layers::initLikeTorch(*impl->net);
  impl->net->eval();
  return std::shared_ptr<MotionModules>(new MotionModules(std::move(impl)));
}

std::shared_ptr<MotionModules> MotionModules::createForTraining(const MotionConfig& config, uint64_t seed) {
  auto modules = createRandom(config, seed);
  torch::NoGradGuard noGrad;
  for (auto& [site, mod] : modules->m->net->bySite) {
    mod->temporal_transformer->proj_out->weight.zero_();
    mod->temporal_transformer->proj_out->bias.zero_();
  }
  return modules;
}

std::map<std::string, std::vector<int64_t>> MotionModules::expectedShapes(const MotionConfig& config) {
  AllModules net(config);
  std::map<std::string, std::vector<int64_t>> out;
  for (const auto& p : net->named_parameters()) out[p.key()] = p.value().sizes().vec();
  return out;
}

bool MotionModules::has(const UnetSite& site) const { return m->net->bySite.count(site) > 0; }

at::Tensor MotionModules::apply(const UnetSite& site, const at::Tensor& input, int64_t frames) const {
  auto it = m->net->bySite.find(site);
  if (it == m->net->bySite.end()) return input;
  c10::InferenceMode guard(!m->training);
  TORCH_CHECK(frames >= 1 && input.dim() == 4 && input.size(0) % frames == 0, "motion module ", site.name(),
              ": input must be [(B*F),C,H,W] with F = ", frames, ", got ", input.sizes());
  TORCH_CHECK(frames <= m->cfg.maxFrames, "motion module ", site.name(), ": ", frames,
              " frames is more than its position table covers (", m->cfg.maxFrames, ")");
  auto& tt = it->second->temporal_transformer;
  const int64_t bf = input.size(0), c = input.size(1), h = input.size(2), w = input.size(3), b = bf / frames;
  Tensor x = tt->norm->forward(input);
  // [(B F), C, H, W] -> [(B F), HW, C] -> proj_in -> [(B F), HW, D]
  x = tt->proj_in->forward(x.permute({0, 2, 3, 1}).reshape({bf, h * w, c}));
  const int64_t d = x.size(2);
  const Tensor pe = m->positions(d).narrow(0, 0, frames).unsqueeze(0);  // [1, F, D]
  // (b f) n d <-> (b n) f d: attention runs along frames at every spatial position
  auto toTime = [&](const Tensor& t) { return t.reshape({b, frames, h * w, d}).transpose(1, 2).reshape({b * h * w, frames, d}); };
  auto fromTime = [&](const Tensor& t) { return t.reshape({b, h * w, frames, d}).transpose(1, 2).reshape({bf, h * w, d}); };
  int blockIndex = 0;
  for (const auto& blkMod : *tt->transformer_blocks) {
    auto* blk = blkMod->as<TemporalBlockImpl>();
    for (size_t a = 0; a < blk->attention_blocks->size(); ++a) {
      auto* norm = blk->norms[a]->as<layers::LayerNormImpl>();
      auto* attn = blk->attention_blocks[a]->as<TemporalAttentionImpl>();
      Tensor out = attn->forward(toTime(norm->forward(x)) + pe);
      if (m->hook) out = m->hook(site, blockIndex, int(a), out);
      x = fromTime(out) + x;
    }
    x = blk->ff->forward(blk->ff_norm->forward(x)) + x;
    ++blockIndex;
  }
  x = tt->proj_out->forward(x);
  return x.reshape({bf, h, w, c}).permute({0, 3, 1, 2}).contiguous() + input;
}

void MotionModules::setAttentionHook(TemporalAttentionHook hook) { m->hook = std::move(hook); }

void MotionModules::setTraining(bool training) {
  m->training = training;
  m->net->train(training);
}
bool MotionModules::training() const { return m->training; }
torch::nn::Module& MotionModules::network() { return *m->net; }
const torch::nn::Module& MotionModules::network() const { return *m->net; }
const MotionConfig& MotionModules::config() const { return m->cfg; }

int64_t MotionModules::parameterCount() const {
  int64_t n = 0;
  for (const auto& p : m->net->parameters()) n += p.numel();
  return n;
}

void MotionModules::to(const std::string& device, at::ScalarType dtype) {
  m->device = at::Device(device);
  m->dtype = dtype;
  m->net->to(m->device, dtype);
  m->peByDim.clear();
}

}  // namespace ns::sd
