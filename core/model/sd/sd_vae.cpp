#include "core/model/sd/sd_vae.h"

#include <c10/core/InferenceMode.h>
#include <torch/torch.h>

#include "core/model/module_weights.h"
#include "core/model/sd/sd_attention.h"
#include "core/model/sd/sd_layers.h"

namespace ns::sd {

namespace tnn = torch::nn;
using torch::Tensor;

namespace {

// The VAE uses eps 1e-6 in every GroupNorm (the UNet's ResBlocks use 1e-5).
layers::GroupNorm norm(int ch) { return layers::GroupNorm(32, ch, 1e-6); }
layers::Conv conv(int in, int out, int k, int stride = 1, int pad = -1) { return layers::Conv(in, out, k, stride, pad); }

struct ResnetBlockImpl : tnn::Module {
  layers::GroupNorm norm1{nullptr}, norm2{nullptr};
  layers::Conv conv1{nullptr}, conv2{nullptr}, nin_shortcut{nullptr};
  ResnetBlockImpl(int in, int out) {
    norm1 = register_module("norm1", norm(in));
    conv1 = register_module("conv1", conv(in, out, 3));
    norm2 = register_module("norm2", norm(out));
    conv2 = register_module("conv2", conv(out, out, 3));
    if (in != out) nin_shortcut = register_module("nin_shortcut", conv(in, out, 1));
  }
  Tensor forward(const Tensor& x) {
    Tensor h = conv1->forward(torch::silu(norm1->forward(x)));
    h = conv2->forward(torch::silu(norm2->forward(h)));
    return (nin_shortcut ? nin_shortcut->forward(x) : x) + h;
  }
};
TORCH_MODULE(ResnetBlock);

struct AttnBlockImpl : tnn::Module {
  layers::GroupNorm norm_{nullptr};
  layers::Conv q{nullptr}, k{nullptr}, v{nullptr}, proj_out{nullptr};
  explicit AttnBlockImpl(int ch) {
    norm_ = register_module("norm", norm(ch));
    q = register_module("q", conv(ch, ch, 1));
    k = register_module("k", conv(ch, ch, 1));
    v = register_module("v", conv(ch, ch, 1));
    proj_out = register_module("proj_out", conv(ch, ch, 1));
  }
  Tensor forward(const Tensor& x) {
    const int64_t b = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
    Tensor n = norm_->forward(x);
    auto tokens = [&](const Tensor& t) { return t.reshape({b, c, h * w}).transpose(1, 2); };
    Tensor a = multiHeadAttention(tokens(q->forward(n)), tokens(k->forward(n)), tokens(v->forward(n)), 1);
    return x + proj_out->forward(a.transpose(1, 2).reshape({b, c, h, w}));
  }
};
TORCH_MODULE(AttnBlock);

struct MidImpl : tnn::Module {
  ResnetBlock block_1{nullptr}, block_2{nullptr};
  AttnBlock attn_1{nullptr};
  explicit MidImpl(int ch) {
    block_1 = register_module("block_1", ResnetBlock(ch, ch));
    attn_1 = register_module("attn_1", AttnBlock(ch));
    block_2 = register_module("block_2", ResnetBlock(ch, ch));
  }
  Tensor forward(const Tensor& x) { return block_2->forward(attn_1->forward(block_1->forward(x))); }
};
TORCH_MODULE(Mid);

// One level: ResnetBlocks, then (except at the last encoder / first decoder level) a resampler
// whose conv is called "conv" under "downsample" / "upsample".
struct LevelImpl : tnn::Module {
  std::vector<ResnetBlock> blocks;
  layers::Conv resample{nullptr};
  bool down = true;
  LevelImpl(int in, int out, int count, bool hasResample, bool down_) : down(down_) {
    auto list = register_module("block", tnn::ModuleList());
    for (int j = 0; j < count; ++j) {
      blocks.push_back(ResnetBlock(j == 0 ? in : out, out));
      list->push_back(blocks.back());
    }
    if (hasResample) {
      auto holder = register_module(down ? "downsample" : "upsample", std::make_shared<tnn::Module>());
      // LDM's Downsample pads right/bottom by one then convolves with stride 2 and no padding.
      resample = down ? conv(out, out, 3, 2, 0) : conv(out, out, 3);
      holder->register_module("conv", resample);
    }
  }
  Tensor forward(Tensor x) {
    for (auto& b : blocks) x = b->forward(x);
    if (!resample) return x;
    namespace F = torch::nn::functional;
    if (down) return resample->forward(F::pad(x, F::PadFuncOptions({0, 1, 0, 1})));
    return resample->forward(
        F::interpolate(x, F::InterpolateFuncOptions().scale_factor(std::vector<double>{2.0, 2.0}).mode(torch::kNearest)));
  }
};
TORCH_MODULE(Level);

struct EncoderImpl : tnn::Module {
  layers::Conv conv_in{nullptr}, conv_out{nullptr};
  std::vector<Level> levels;
  Mid mid{nullptr};
  layers::GroupNorm norm_out{nullptr};
  explicit EncoderImpl(const VaeConfig& c) {
    conv_in = register_module("conv_in", conv(c.inChannels, c.ch, 3));
    auto list = register_module("down", tnn::ModuleList());
    int in = c.ch;
    for (size_t i = 0; i < c.chMult.size(); ++i) {
      const int out = c.ch * c.chMult[i];
      levels.push_back(Level(in, out, c.numResBlocks, i + 1 < c.chMult.size(), true));
      list->push_back(levels.back());
      in = out;
    }
    mid = register_module("mid", Mid(in));
    norm_out = register_module("norm_out", norm(in));
    conv_out = register_module("conv_out", conv(in, 2 * c.zChannels, 3));
  }
  Tensor forward(const Tensor& x) {
    Tensor h = conv_in->forward(x);
    for (auto& l : levels) h = l->forward(h);
    h = mid->forward(h);
    return conv_out->forward(torch::silu(norm_out->forward(h)));
  }
};
TORCH_MODULE(Encoder);

struct DecoderImpl : tnn::Module {
  layers::Conv conv_in{nullptr}, conv_out{nullptr};
  std::vector<Level> levels;  // index = level; run from the last down to 0
  Mid mid{nullptr};
  layers::GroupNorm norm_out{nullptr};
  explicit DecoderImpl(const VaeConfig& c) {
    const int n = int(c.chMult.size());
    int in = c.ch * c.chMult.back();
    conv_in = register_module("conv_in", conv(c.zChannels, in, 3));
    mid = register_module("mid", Mid(in));
    std::vector<Level> built(n, Level(nullptr));
    for (int i = n - 1; i >= 0; --i) {
      const int out = c.ch * c.chMult[i];
      built[i] = Level(in, out, c.numResBlocks + 1, i > 0, false);
      in = out;
    }
    auto list = register_module("up", tnn::ModuleList());
    for (auto& l : built) list->push_back(l);
    levels = built;
    norm_out = register_module("norm_out", norm(in));
    conv_out = register_module("conv_out", conv(in, c.outChannels, 3));
  }
  Tensor forward(const Tensor& z) {
    Tensor h = mid->forward(conv_in->forward(z));
    for (auto it = levels.rbegin(); it != levels.rend(); ++it) h = (*it)->forward(h);
    return conv_out->forward(torch::silu(norm_out->forward(h)));
  }
};
TORCH_MODULE(Decoder);

struct AutoencoderImpl : tnn::Module {
  VaeConfig cfg;
  Encoder encoder{nullptr};
  Decoder decoder{nullptr};
  layers::Conv quant_conv{nullptr}, post_quant_conv{nullptr};
  explicit AutoencoderImpl(const VaeConfig& c) : cfg(c) {
    encoder = register_module("encoder", Encoder(c));
    decoder = register_module("decoder", Decoder(c));
    quant_conv = register_module("quant_conv", conv(2 * c.zChannels, 2 * c.embedDim, 1));
    post_quant_conv = register_module("post_quant_conv", conv(c.embedDim, c.zChannels, 1));
  }
};
TORCH_MODULE(Autoencoder);

}  // namespace

struct SdVae::Impl {
  Autoencoder net{nullptr};
  at::Device device{at::kCPU};
  at::ScalarType dtype = at::kFloat;
};

SdVae::SdVae(std::unique_ptr<Impl> impl) : m(std::move(impl)) {}
SdVae::~SdVae() = default;

Result<std::shared_ptr<SdVae>> SdVae::create(const VaeConfig& config, const WeightMap& w, const std::string& prefix,
                                             const std::string& source) {
  auto impl = std::make_unique<Impl>();
  try {
    impl->net = Autoencoder(config);
    layers::adoptHugePageArena(*impl->net);
  } catch (const std::exception& e) {
    return makeError(ErrorKind::Model, source + ": cannot build the VAE: " + e.what());
  }
  // Files converted from diffusers may hold the mid-block attention as Linear [C,C]: view as 1x1 convs.
  WeightMap views;
  const WeightMap* src = &w;
  for (const char* which : {"encoder", "decoder"}) {
    for (const char* part : {"q", "k", "v", "proj_out"}) {
      const std::string key = prefix + which + ".mid.attn_1." + part + ".weight";
      auto it = w.find(key);
      if (it != w.end() && it->second.dim() == 2) {
        if (src == &w) views = w, src = &views;
        views[key] = it->second.unsqueeze(-1).unsqueeze(-1);
      }
    }
  }
  auto r = loadModuleState(*impl->net, *src, prefix, source);
  if (!r.ok()) return r.error();
  impl->net->eval();
  return std::shared_ptr<SdVae>(new SdVae(std::move(impl)));
}

std::shared_ptr<SdVae> SdVae::createRandom(const VaeConfig& config, uint64_t seed) {
  torch::manual_seed(seed);
  auto impl = std::make_unique<Impl>();
  impl->net = Autoencoder(config);
  layers::adoptHugePageArena(*impl->net);
  layers::initLikeTorch(*impl->net);
  impl->net->eval();
  return std::shared_ptr<SdVae>(new SdVae(std::move(impl)));
}

WeightMap SdVae::state(const std::string& prefix) const {
  return moduleState(*m->net, prefix, at::kFloat);
}

at::Tensor SdVae::encodeMean(const at::Tensor& images) {
  c10::InferenceMode guard;
  const auto& c = m->net->cfg;
  TORCH_CHECK(images.dim() == 4 && images.size(1) == c.inChannels, "SdVae: images must be [B,", c.inChannels,
              ",H,W], got ", images.sizes());
  Tensor moments = m->net->quant_conv->forward(m->net->encoder->forward(images.to(m->device, m->dtype)));
  return moments.slice(1, 0, c.embedDim).to(images.device(), images.scalar_type());
}

at::Tensor SdVae::decode(const at::Tensor& latents) {
  c10::InferenceMode guard;
  const auto& c = m->net->cfg;
  TORCH_CHECK(latents.dim() == 4 && latents.size(1) == c.embedDim, "SdVae: latents must be [B,", c.embedDim,
              ",h,w], got ", latents.sizes());
  Tensor z = m->net->post_quant_conv->forward(latents.to(m->device, m->dtype));
  return m->net->decoder->forward(z).to(latents.device(), latents.scalar_type());
}

const VaeConfig& SdVae::config() const { return m->net->cfg; }

int64_t SdVae::parameterCount() const {
  int64_t n = 0;
  for (const auto& p : m->net->parameters()) n += p.numel();
  return n;
}

void SdVae::to(const std::string& device, at::ScalarType dtype) {
  m->device = at::Device(device);
  m->dtype = dtype;
  m->net->to(m->device, dtype);
}

}  // namespace ns::sd
