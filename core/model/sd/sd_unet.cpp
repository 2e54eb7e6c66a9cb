#include "core/model/sd/sd_unet.h"

#include <c10/core/InferenceMode.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <optional>

#include "core/model/module_weights.h"
#include "core/model/sd/sd_attention.h"
#include "core/model/sd/sd_layers.h"

namespace ns::sd {

namespace tnn = torch::nn;
using torch::Tensor;

namespace {

// GroupNorm eps differs by place in the reference: 1e-5 in ResBlocks, 1e-6 in SpatialTransformer.
layers::GroupNorm groupNorm(int channels, double eps) { return layers::GroupNorm(32, channels, eps); }
layers::Conv conv(int in, int out, int k, int stride = 1) { return layers::Conv(in, out, k, stride); }

// LDM's timestep_embedding: [cos | sin] of t·10000^(-i/half).
Tensor timestepEmbedding(const Tensor& t, int dim) {
  const int half = dim / 2;
  Tensor freqs = torch::exp(-std::log(10000.0) * torch::arange(0, half, torch::dtype(torch::kFloat32).device(t.device())) / half);
  Tensor args = t.to(torch::kFloat32).unsqueeze(1) * freqs.unsqueeze(0);
  return torch::cat({torch::cos(args), torch::sin(args)}, 1);
}

struct ResBlockImpl : tnn::Module {
  tnn::Sequential in_layers{nullptr}, emb_layers{nullptr}, out_layers{nullptr};
  layers::Conv skip{nullptr};
  ResBlockImpl(int in, int out, int emb) {
    in_layers = register_module("in_layers", tnn::Sequential(groupNorm(in, 1e-5), tnn::SiLU(), conv(in, out, 3)));
    emb_layers = register_module("emb_layers", tnn::Sequential(tnn::SiLU(), layers::Linear(emb, out)));
    out_layers = register_module("out_layers",
                                 tnn::Sequential(groupNorm(out, 1e-5), tnn::SiLU(), tnn::Dropout(0.0), conv(out, out, 3)));
    if (in != out) skip = register_module("skip_connection", conv(in, out, 1));
  }
  Tensor forward(const Tensor& x, const Tensor& emb) {
    Tensor h = in_layers->forward(x);
    h = h + emb_layers->forward(emb).unsqueeze(-1).unsqueeze(-1);
    h = out_layers->forward(h);
    return (skip ? skip->forward(x) : x) + h;
  }
};
TORCH_MODULE(ResBlock);

struct CrossAttentionImpl : tnn::Module {
  layers::Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr};
  tnn::Sequential to_out{nullptr};
  int64_t heads;
  CrossAttentionImpl(int dim, int contextDim, int heads_) : heads(heads_) {
    to_q = register_module("to_q", layers::Linear(dim, dim, false));
    to_k = register_module("to_k", layers::Linear(contextDim, dim, false));
    to_v = register_module("to_v", layers::Linear(contextDim, dim, false));
    to_out = register_module("to_out", tnn::Sequential(layers::Linear(dim, dim), tnn::Dropout(0.0)));
  }
  Tensor forward(const Tensor& x, const Tensor& context) {
    return to_out->forward(multiHeadAttention(to_q->forward(x), to_k->forward(context), to_v->forward(context), heads));
  }
};
TORCH_MODULE(CrossAttention);

struct GegluImpl : tnn::Module {
  layers::Linear proj{nullptr};
  GegluImpl(int in, int out) { proj = register_module("proj", layers::Linear(in, out * 2)); }
  Tensor forward(const Tensor& x) {
    auto parts = proj->forward(x).chunk(2, -1);
    return parts[0] * torch::gelu(parts[1]);
  }
};
TORCH_MODULE(Geglu);

struct FeedForwardImpl : tnn::Module {
  tnn::Sequential net{nullptr};
  explicit FeedForwardImpl(int dim) {
    net = register_module("net", tnn::Sequential(Geglu(dim, dim * 4), tnn::Dropout(0.0), layers::Linear(dim * 4, dim)));
  }
  Tensor forward(const Tensor& x) { return net->forward(x); }
};
TORCH_MODULE(FeedForward);

struct TransformerBlockImpl : tnn::Module {
  CrossAttention attn1{nullptr}, attn2{nullptr};
  FeedForward ff{nullptr};
  layers::LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  TransformerBlockImpl(int dim, int contextDim, int heads) {
    attn1 = register_module("attn1", CrossAttention(dim, dim, heads));
    ff = register_module("ff", FeedForward(dim));
    attn2 = register_module("attn2", CrossAttention(dim, contextDim, heads));
    auto ln = [&] { return layers::LayerNorm(dim, 1e-5); };
    norm1 = register_module("norm1", ln());
    norm2 = register_module("norm2", ln());
    norm3 = register_module("norm3", ln());
  }
  Tensor forward(Tensor x, const Tensor& context) {
    Tensor h = norm1->forward(x);
    x = attn1->forward(h, h) + x;
    x = attn2->forward(norm2->forward(x), context) + x;
    return ff->forward(norm3->forward(x)) + x;
  }
};
TORCH_MODULE(TransformerBlock);

struct SpatialTransformerImpl : tnn::Module {
  layers::GroupNorm norm{nullptr};
  tnn::AnyModule proj_in, proj_out;  // Conv2d 1x1 (SD 1.x) or Linear (SD 2.x)
  tnn::ModuleList blocks{nullptr};
  bool linear;
  SpatialTransformerImpl(int ch, int heads, int depth, int contextDim, bool linear_) : linear(linear_) {
    norm = register_module("norm", groupNorm(ch, 1e-6));
    if (linear) {
      proj_in = tnn::AnyModule(layers::Linear(ch, ch));
      proj_out = tnn::AnyModule(layers::Linear(ch, ch));
    } else {
      proj_in = tnn::AnyModule(conv(ch, ch, 1));
      proj_out = tnn::AnyModule(conv(ch, ch, 1));
    }
    register_module("proj_in", proj_in.ptr());
    blocks = register_module("transformer_blocks", tnn::ModuleList());
    for (int i = 0; i < depth; ++i) blocks->push_back(TransformerBlock(ch, contextDim, heads));
    register_module("proj_out", proj_out.ptr());
  }
  Tensor forward(const Tensor& x, const Tensor& context) {
    const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    Tensor t = norm->forward(x);
    auto toTokens = [&](const Tensor& img) { return img.reshape({b, c, h * w}).transpose(1, 2); };
    auto toImage = [&](const Tensor& tok) { return tok.transpose(1, 2).reshape({b, c, h, w}); };
    t = linear ? proj_in.forward(toTokens(t)) : toTokens(proj_in.forward(t));
    for (const auto& blk : *blocks) t = blk->as<TransformerBlockImpl>()->forward(t, context);
    t = linear ? toImage(proj_out.forward(t)) : proj_out.forward(toImage(t.contiguous()));
    return t + x;
  }
};
TORCH_MODULE(SpatialTransformer);

struct DownsampleImpl : tnn::Module {
  layers::Conv op{nullptr};
  explicit DownsampleImpl(int ch) { op = register_module("op", conv(ch, ch, 3, 2)); }
  Tensor forward(const Tensor& x) { return op->forward(x); }
};
TORCH_MODULE(Downsample);

struct UpsampleImpl : tnn::Module {
  layers::Conv conv2d{nullptr};
  explicit UpsampleImpl(int ch) { conv2d = register_module("conv", conv(ch, ch, 3)); }
  // Nearest-neighbour to `size` (2x unless the matching skip is odd-sized), then a 3x3 conv.
  Tensor forward(const Tensor& x, at::IntArrayRef size) {
    namespace F = torch::nn::functional;
    auto opts = F::InterpolateFuncOptions().mode(torch::kNearest);
    if (size.size() == 2) opts.size(std::vector<int64_t>(size.begin(), size.end()));
    else opts.scale_factor(std::vector<double>{2.0, 2.0});
    return conv2d->forward(F::interpolate(x, opts));
  }
};
TORCH_MODULE(Upsample);

// LDM's TimestepEmbedSequential: children "0", "1", ... of any of the kinds above, each called
// with what it needs.
struct BlockImpl : tnn::Module {
  std::vector<std::function<Tensor(const Tensor&, const Tensor&, const Tensor&, at::IntArrayRef)>> layers;
  template <class M>
  void add(M m) {
    register_module(std::to_string(layers.size()), m.ptr());
    using Impl = typename M::Impl;
    auto p = m.ptr();
    layers.push_back([p](const Tensor& x, const Tensor& emb, const Tensor& ctx, at::IntArrayRef up) -> Tensor {
      if constexpr (std::is_same_v<Impl, ResBlockImpl>) return p->forward(x, emb);
      else if constexpr (std::is_same_v<Impl, SpatialTransformerImpl>) return p->forward(x, ctx);
      else if constexpr (std::is_same_v<Impl, UpsampleImpl>) return p->forward(x, up);
      else return p->forward(x);
    });
  }
  Tensor forward(Tensor x, const Tensor& emb, const Tensor& ctx, at::IntArrayRef up = {}) {
    return forwardRange(std::move(x), emb, ctx, up, 0, layers.size());
  }
  // Layers [from, to) only: a temporal layer goes between them (SdUnet::SiteHook).
  Tensor forwardRange(Tensor x, const Tensor& emb, const Tensor& ctx, at::IntArrayRef up, size_t from, size_t to) {
    for (size_t i = from; i < to && i < layers.size(); ++i) x = layers[i](x, emb, ctx, up);
    return x;
  }
};
TORCH_MODULE(Block);

struct UnetNetImpl : tnn::Module {
  UnetConfig cfg;
  tnn::Sequential time_embed{nullptr}, out{nullptr};
  std::vector<Block> input, output;
  Block middle{nullptr};
  // Where AnimateDiff puts its motion modules: after each ResBlock(+attention) input block, and in
  // each output block after the ResBlock(+attention), before its Upsample.
  std::vector<std::optional<UnetSite>> inputSites;
  std::vector<UnetSite> outputSites;
  std::vector<bool> outputUpsamples;

  explicit UnetNetImpl(const UnetConfig& c) : cfg(c) {
    const int mc = c.modelChannels, emb = c.timeEmbedDim();
    time_embed = register_module("time_embed", tnn::Sequential(layers::Linear(mc, emb), tnn::SiLU(), layers::Linear(emb, emb)));
    auto inList = register_module("input_blocks", tnn::ModuleList());
    auto st = [&](int ch, int level) {
      return SpatialTransformer(ch, c.headsAtLevel[level], c.transformerDepth, c.contextDim, c.linearProj);
    };
    std::vector<int> skipChans{mc};
    Block first;
    first->add(conv(c.inChannels, mc, 3));
    input.push_back(first);
    inputSites.emplace_back();
    int ch = mc;
    for (int level = 0; level < c.levels(); ++level) {
      for (int r = 0; r < c.numResBlocks; ++r) {
        Block b;
        b->add(ResBlock(ch, c.channelMult[level] * mc, emb));
        ch = c.channelMult[level] * mc;
        if (c.attnAtLevel[level]) b->add(st(ch, level));
        input.push_back(b);
        inputSites.push_back(UnetSite{UnetSite::Part::Down, level, r});
        skipChans.push_back(ch);
      }
      if (level + 1 < c.levels()) {
        Block b;
        b->add(Downsample(ch));
        input.push_back(b);
        inputSites.emplace_back();
        skipChans.push_back(ch);
      }
    }
    for (auto& b : input) inList->push_back(b);
    middle = Block();
    middle->add(ResBlock(ch, ch, emb));
    middle->add(st(ch, c.levels() - 1));
    middle->add(ResBlock(ch, ch, emb));
    register_module("middle_block", middle);
    auto outList = register_module("output_blocks", tnn::ModuleList());
    for (int level = c.levels() - 1; level >= 0; --level) {
      for (int r = 0; r <= c.numResBlocks; ++r) {
        Block b;
        const int skip = skipChans.back();
        skipChans.pop_back();
        b->add(ResBlock(ch + skip, c.channelMult[level] * mc, emb));
        ch = c.channelMult[level] * mc;
        if (c.attnAtLevel[level]) b->add(st(ch, level));
        const bool up = level > 0 && r == c.numResBlocks;
        if (up) b->add(Upsample(ch));
        output.push_back(b);
        outputSites.push_back({UnetSite::Part::Up, c.levels() - 1 - level, r});
        outputUpsamples.push_back(up);
        outList->push_back(b);
      }
    }
    out = register_module("out", tnn::Sequential(groupNorm(ch, 1e-5), tnn::SiLU(), conv(ch, c.outChannels, 3)));
  }

  Tensor forward(const Tensor& x, const Tensor& t, const Tensor& context, const SdUnet::SiteHook* atSite) {
    Tensor emb = time_embed->forward(timestepEmbedding(t, cfg.modelChannels));
    std::vector<Tensor> skips;
    Tensor h = x;
    for (size_t i = 0; i < input.size(); ++i) {
      h = input[i]->forward(h, emb, context);
      if (atSite && inputSites[i]) h = (*atSite)(*inputSites[i], h);
      skips.push_back(h);
    }
    if (atSite) {  // mid: ResBlock, SpatialTransformer, [temporal], ResBlock
      h = middle->forwardRange(h, emb, context, {}, 0, 2);
      h = (*atSite)(UnetSite{UnetSite::Part::Mid, 0, 0}, h);
      h = middle->forwardRange(h, emb, context, {}, 2, middle->layers.size());
    } else {
      h = middle->forward(h, emb, context);
    }
    for (size_t i = 0; i < output.size(); ++i) {
      auto& b = output[i];
      h = torch::cat({h, skips.back()}, 1);
      skips.pop_back();
      std::vector<int64_t> up;
      if (!skips.empty()) up = {skips.back().size(2), skips.back().size(3)};
      if (atSite) {
        const size_t n = b->layers.size(), beforeUp = outputUpsamples[i] ? n - 1 : n;
        h = b->forwardRange(h, emb, context, up, 0, beforeUp);
        h = (*atSite)(outputSites[i], h);
        h = b->forwardRange(h, emb, context, up, beforeUp, n);
      } else {
        h = b->forward(h, emb, context, up);
      }
    }
    return out->forward(h);
  }
};
TORCH_MODULE(UnetNet);

}  // namespace

struct SdUnet::Impl {
  UnetNet net{nullptr};
  at::Device device{at::kCPU};
  at::ScalarType dtype = at::kFloat;
};

SdUnet::SdUnet(std::unique_ptr<Impl> impl) : m(std::move(impl)) {}
SdUnet::~SdUnet() = default;

Result<std::shared_ptr<SdUnet>> SdUnet::create(const UnetConfig& config, const WeightMap& w, const std::string& prefix,
                                               const std::string& source) {
  auto impl = std::make_unique<Impl>();
  try {
    impl->net = UnetNet(config);
    layers::adoptHugePageArena(*impl->net);
  } catch (const std::exception& e) {
    return makeError(ErrorKind::Model, source + ": cannot build the UNet: " + e.what());
  }
  auto r = loadModuleState(*impl->net, w, prefix, source);
  if (!r.ok()) return r.error();
  impl->net->eval();
  return std::shared_ptr<SdUnet>(new SdUnet(std::move(impl)));
}

std::shared_ptr<SdUnet> SdUnet::createRandom(const UnetConfig& config, uint64_t seed) {
  torch::manual_seed(seed);
  auto impl = std::make_unique<Impl>();
  impl->net = UnetNet(config);
  layers::adoptHugePageArena(*impl->net);
  layers::initLikeTorch(*impl->net);
  impl->net->eval();
  return std::shared_ptr<SdUnet>(new SdUnet(std::move(impl)));
}

WeightMap SdUnet::state(const std::string& prefix) const {
  return moduleState(*m->net, prefix, at::kFloat);
}

at::Tensor SdUnet::forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& context) {
  return forward(x, t, context, SiteHook());
}

at::Tensor SdUnet::forward(const at::Tensor& x, const at::Tensor& t, const at::Tensor& context, const SiteHook& atSite) {
  c10::InferenceMode guard;
  TORCH_CHECK(x.dim() == 4 && x.size(1) == m->net->cfg.inChannels, "SdUnet: x must be [B,", m->net->cfg.inChannels,
              ",h,w], got ", x.sizes());
  TORCH_CHECK(context.dim() == 3 && context.size(2) == m->net->cfg.contextDim, "SdUnet: context must be [B,L,",
              m->net->cfg.contextDim, "], got ", context.sizes());
  const int64_t b = x.size(0);
  at::Tensor steps = t.reshape({-1}).to(m->device);
  if (steps.numel() == 1 && b > 1) steps = steps.expand({b});
  TORCH_CHECK(steps.size(0) == b, "SdUnet: t has ", steps.size(0), " entries for batch ", b);
  at::Tensor ctx = context.to(m->device, m->dtype);
  if (ctx.size(0) == 1 && b > 1) ctx = ctx.expand({b, ctx.size(1), ctx.size(2)});
  TORCH_CHECK(ctx.size(0) == b, "SdUnet: context batch ", ctx.size(0), " does not match x batch ", b);
  return m->net->forward(x.to(m->device, m->dtype), steps, ctx, atSite ? &atSite : nullptr)
      .to(x.device(), x.scalar_type());
}

const UnetConfig& SdUnet::config() const { return m->net->cfg; }

int64_t SdUnet::parameterCount() const {
  int64_t n = 0;
  for (const auto& p : m->net->parameters()) n += p.numel();
  return n;
}

void SdUnet::to(const std::string& device, at::ScalarType dtype) {
  m->device = at::Device(device);
  m->dtype = dtype;
  m->net->to(m->device, dtype);
}

}  // namespace ns::sd
