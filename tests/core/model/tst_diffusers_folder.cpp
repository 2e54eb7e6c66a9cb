// Tests core/model/sd/diffusers_folder.h and the name tables (diffusers_unet_names.h,
// diffusers_vae_names.h): known names of the REAL Stable Diffusion 1.5 layout map to their LDM
// names (values read off diffusers' conversion tables), the inverse maps back, small folders built
// here are read with the right names, values, dtypes and shapes, each broken folder is refused
// naming the file and the part, and the fixture's diffusers folder (tests/data/sd) maps to exactly
// the tensors of its single-file twin.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <utility>
#include <vector>

#include "core/model/safetensors.h"
#include "core/model/sd/diffusers_configs.h"
#include "core/model/sd/diffusers_folder.h"
#include "core/model/sd/diffusers_probe.h"
#include "core/model/sd/diffusers_unet_names.h"
#include "core/model/sd/diffusers_vae_names.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A fresh folder under the temp dir, removed with the object.
struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("ns_tst_diffusers_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string str() const { return path.string(); }
};

void writeText(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// Real Stable Diffusion 1.5 configs (runwayml/stable-diffusion-v1-5, the fields the reader uses).
json sd15UnetConfig() {
  return json::parse(R"({
    "_class_name": "UNet2DConditionModel", "act_fn": "silu", "attention_head_dim": 8,
    "block_out_channels": [320, 640, 1280, 1280], "cross_attention_dim": 768,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "in_channels": 4, "layers_per_block": 2, "norm_num_groups": 32, "out_channels": 4, "sample_size": 64,
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]})");
}
json sd15VaeConfig() {
  return json::parse(R"({
    "_class_name": "AutoencoderKL", "act_fn": "silu", "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
    "in_channels": 3, "latent_channels": 4, "layers_per_block": 2, "norm_num_groups": 32, "out_channels": 3,
    "sample_size": 512,
    "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]})");
}

ns::sd::DiffusersUnetLayout sd15Unet() {
  auto l = ns::sd::unetLayoutFromConfig(sd15UnetConfig(), "unet/config.json");
  if (!l.ok()) throw std::runtime_error(l.error().message);
  return *l;
}
ns::sd::DiffusersVaeLayout sd15Vae() {
  auto l = ns::sd::vaeLayoutFromConfig(sd15VaeConfig(), "vae/config.json");
  if (!l.ok()) throw std::runtime_error(l.error().message);
  return *l;
}

// --- A small synthetic folder: 2 UNet levels (attention at level 0 only), 1 ResBlock per level. ---

struct TinySpec {
  json modelIndex = json::parse(R"({"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.21.0",
    "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
    "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
    "vae": ["diffusers", "AutoencoderKL"]})");
  json unet = json::parse(R"({"_class_name": "UNet2DConditionModel", "attention_head_dim": 2,
    "block_out_channels": [8, 16], "cross_attention_dim": 32, "layers_per_block": 1,
    "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
    "sample_size": 8})");
  json vae = json::parse(R"({"_class_name": "AutoencoderKL", "block_out_channels": [8, 16], "layers_per_block": 1,
    "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"], "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"],
    "latent_channels": 4, "scaling_factor": 0.18215})");
  json textEncoder = json::parse(R"({"_class_name": "CLIPTextModel", "hidden_act": "quick_gelu", "hidden_size": 32})");
  json scheduler = json::parse(R"({"_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
    "beta_start": 0.00085, "num_train_timesteps": 1000, "set_alpha_to_one": false, "skip_prk_steps": true,
    "steps_offset": 1, "trained_betas": null})");
  // diffusers name -> tensor, per part.
  std::map<std::string, at::Tensor> unetW, vaeW, textW;
};

TinySpec tinySpec() {
  at::manual_seed(7);
  TinySpec s;
  s.unetW["conv_in.weight"] = at::randn({8, 4, 3, 3});
  s.unetW["time_embedding.linear_1.weight"] = at::randn({32, 8}).to(at::kHalf);
  s.unetW["down_blocks.0.resnets.0.conv1.weight"] = at::randn({8, 8, 3, 3});
  s.unetW["down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"] = at::randn({8, 32}).to(at::kBFloat16);
  s.unetW["down_blocks.0.downsamplers.0.conv.bias"] = at::randn({8});
  s.unetW["down_blocks.1.resnets.0.conv_shortcut.weight"] = at::randn({16, 8, 1, 1});
  s.unetW["mid_block.attentions.0.proj_out.weight"] = at::randn({16, 16, 1, 1});
  s.unetW["mid_block.resnets.1.time_emb_proj.bias"] = at::randn({16});
  s.unetW["up_blocks.0.upsamplers.0.conv.weight"] = at::randn({16, 16, 3, 3});
  s.unetW["up_blocks.1.resnets.1.norm2.weight"] = at::randn({8});
  s.unetW["up_blocks.1.attentions.1.norm.bias"] = at::randn({8});
  s.unetW["conv_out.bias"] = at::randn({4});
  s.vaeW["encoder.down_blocks.0.downsamplers.0.conv.weight"] = at::randn({8, 8, 3, 3});
  s.vaeW["encoder.mid_block.attentions.0.to_q.weight"] = at::randn({16, 16}).to(at::kHalf);
  s.vaeW["encoder.mid_block.attentions.0.to_q.bias"] = at::randn({16});
  s.vaeW["decoder.mid_block.attentions.0.proj_attn.weight"] = at::randn({16, 16});
  s.vaeW["decoder.up_blocks.0.resnets.1.conv2.weight"] = at::randn({16, 16, 3, 3});
  s.vaeW["decoder.up_blocks.1.resnets.0.conv_shortcut.weight"] = at::randn({8, 16, 1, 1});
  s.vaeW["decoder.conv_norm_out.weight"] = at::randn({8});
  s.vaeW["post_quant_conv.weight"] = at::randn({4, 4, 1, 1});
  s.textW["text_model.embeddings.token_embedding.weight"] = at::randn({10, 32});
  s.textW["text_model.final_layer_norm.bias"] = at::randn({32});
  return s;
}

void writeFolder(const TinySpec& s, const fs::path& dir) {
  writeText(dir / "model_index.json", s.modelIndex.dump(2));
  writeText(dir / "unet/config.json", s.unet.dump(2));
  writeText(dir / "vae/config.json", s.vae.dump(2));
  writeText(dir / "text_encoder/config.json", s.textEncoder.dump(2));
  writeText(dir / "scheduler/scheduler_config.json", s.scheduler.dump(2));
  writeText(dir / "tokenizer/vocab.json", R"({"!": 0, "<|startoftext|>": 1, "<|endoftext|>": 2})");
  writeText(dir / "tokenizer/merges.txt", "#version: 0.2\n");
  writeText(dir / "tokenizer/tokenizer_config.json", R"({"pad_token": {"__type": "AddedToken", "content": "<|endoftext|>"}})");
  auto write = [](const fs::path& p, const std::map<std::string, at::Tensor>& w) {
    fs::create_directories(p.parent_path());
    auto r = ns::writeSafetensors(p.string(), w);
    if (!r.ok()) throw std::runtime_error(r.error().message);
  };
  write(dir / "unet/diffusion_pytorch_model.safetensors", s.unetW);
  write(dir / "vae/diffusion_pytorch_model.safetensors", s.vaeW);
  write(dir / "text_encoder/model.safetensors", s.textW);
}

// Same dtype, shape and bytes.
bool bitwiseEqual(const at::Tensor& a, const at::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  const at::Tensor x = a.contiguous(), y = b.contiguous();
  return std::memcmp(x.data_ptr(), y.data_ptr(), size_t(x.numel()) * x.element_size()) == 0;
}

std::string errorOf(const std::string& dir) {
  auto r = ns::sd::readDiffusersFolder(dir);
  return r.ok() ? std::string("(read succeeded)") : r.error().message;
}

}  // namespace

class TstDiffusersFolder : public QObject {
  Q_OBJECT
 private slots:
  // Known names of the real SD 1.5 UNet, checked against diffusers' conversion tables.
  void unetNamesOfSd15() {
    const auto l = sd15Unet();
    QCOMPARE(l.levels, 4);
    QCOMPARE(l.layersPerBlock, 2);
    const std::pair<const char*, const char*> known[] = {
        {"down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q.weight",
         "input_blocks.4.1.transformer_blocks.0.attn1.to_q.weight"},
        {"up_blocks.3.resnets.2.conv_shortcut.weight", "output_blocks.11.0.skip_connection.weight"},
        {"mid_block.attentions.0.proj_in.weight", "middle_block.1.proj_in.weight"},
        {"mid_block.resnets.0.norm1.bias", "middle_block.0.in_layers.0.bias"},
        {"mid_block.resnets.1.time_emb_proj.weight", "middle_block.2.emb_layers.1.weight"},
        {"time_embedding.linear_1.weight", "time_embed.0.weight"},
        {"time_embedding.linear_2.bias", "time_embed.2.bias"},
        {"conv_in.weight", "input_blocks.0.0.weight"},
        {"conv_norm_out.bias", "out.0.bias"},
        {"conv_out.weight", "out.2.weight"},
        {"down_blocks.0.resnets.0.conv1.weight", "input_blocks.1.0.in_layers.2.weight"},
        {"down_blocks.0.resnets.1.norm2.weight", "input_blocks.2.0.out_layers.0.weight"},
        {"down_blocks.0.downsamplers.0.conv.weight", "input_blocks.3.0.op.weight"},
        {"down_blocks.2.downsamplers.0.conv.bias", "input_blocks.9.0.op.bias"},
        {"down_blocks.3.resnets.1.conv2.bias", "input_blocks.11.0.out_layers.3.bias"},
        {"down_blocks.2.attentions.1.transformer_blocks.0.ff.net.0.proj.weight",
         "input_blocks.8.1.transformer_blocks.0.ff.net.0.proj.weight"},
        {"up_blocks.0.resnets.0.conv1.weight", "output_blocks.0.0.in_layers.2.weight"},
        {"up_blocks.0.upsamplers.0.conv.weight", "output_blocks.2.1.conv.weight"},
        {"up_blocks.1.upsamplers.0.conv.bias", "output_blocks.5.2.conv.bias"},
        {"up_blocks.2.upsamplers.0.conv.weight", "output_blocks.8.2.conv.weight"},
        {"up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_out.0.weight",
         "output_blocks.5.1.transformer_blocks.0.attn2.to_out.0.weight"},
        {"up_blocks.3.attentions.0.transformer_blocks.0.norm3.weight",
         "output_blocks.9.1.transformer_blocks.0.norm3.weight"},
        {"up_blocks.2.attentions.1.transformer_blocks.0.ff.net.2.bias",
         "output_blocks.7.1.transformer_blocks.0.ff.net.2.bias"},
    };
    for (const auto& [hf, ldm] : known) {
      const auto got = ns::sd::diffusersUnetToLdm(hf, l);
      QVERIFY2(got && *got == ldm, std::string(hf) + " -> " + (got ? *got : "(unmapped)") + ", expected " + ldm);
      const auto back = ns::sd::ldmUnetToDiffusers(ldm, l);
      QVERIFY2(back && *back == hf, std::string(ldm) + " -> " + (back ? *back : "(unmapped)") + ", expected " + hf);
    }
  }

  // Names the SD 1.5 layout does not have map to nothing (the folder reader then refuses them).
  void unetNamesOutsideTheLayout() {
    const auto l = sd15Unet();
    for (const char* bad : {"down_blocks.3.attentions.0.proj_in.weight",   // DownBlock2D has no attention
                            "up_blocks.0.attentions.0.norm.weight",        // UpBlock2D neither
                            "down_blocks.3.downsamplers.0.conv.weight",    // the last level does not downsample
                            "up_blocks.3.upsamplers.0.conv.weight",        // nor upsample
                            "down_blocks.0.resnets.2.conv1.weight",        // 2 ResBlocks per down level
                            "up_blocks.0.resnets.3.conv1.weight",          // 3 per up level
                            "down_blocks.4.resnets.0.conv1.weight",        // 4 levels
                            "down_blocks.01.resnets.0.conv1.weight",       // no aliasing by leading zeros
                            "mid_block.resnets.2.conv1.weight",
                            "mid_block.attentions.1.proj_in.weight",
                            "add_embedding.linear_1.weight",               // SDXL
                            "class_embedding.weight",                      // the upscaler
                            "down_blocks.0.resnets.0.conv1.scale",
                            "down_blocks.0.resnets.0.conv3.weight",
                            "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_x.weight",
                            "conv_in.weight.extra", "conv_in", ""}) {
      const auto got = ns::sd::diffusersUnetToLdm(bad, l);
      QVERIFY2(!got, std::string(bad) + " mapped to " + (got ? *got : ""));
    }
    QVERIFY(!ns::sd::ldmUnetToDiffusers("input_blocks.11.1.proj_in.weight", l));  // no attention at level 3
    QVERIFY(!ns::sd::ldmUnetToDiffusers("output_blocks.11.1.conv.weight", l));    // no upsampler at the top
    QVERIFY(!ns::sd::ldmUnetToDiffusers("input_blocks.12.0.in_layers.0.weight", l));
  }

  void vaeNamesOfSd15() {
    const auto l = sd15Vae();
    const std::pair<const char*, const char*> known[] = {
        {"decoder.up_blocks.0.resnets.0.conv1.weight", "decoder.up.3.block.0.conv1.weight"},
        {"decoder.up_blocks.3.resnets.2.norm2.bias", "decoder.up.0.block.2.norm2.bias"},
        {"decoder.up_blocks.2.upsamplers.0.conv.weight", "decoder.up.1.upsample.conv.weight"},
        {"decoder.up_blocks.2.resnets.0.conv_shortcut.weight", "decoder.up.1.block.0.nin_shortcut.weight"},
        {"encoder.down_blocks.1.resnets.0.conv_shortcut.weight", "encoder.down.1.block.0.nin_shortcut.weight"},
        {"encoder.down_blocks.2.downsamplers.0.conv.bias", "encoder.down.2.downsample.conv.bias"},
        {"encoder.mid_block.resnets.1.conv2.weight", "encoder.mid.block_2.conv2.weight"},
        {"decoder.mid_block.resnets.0.norm1.weight", "decoder.mid.block_1.norm1.weight"},
        {"encoder.mid_block.attentions.0.group_norm.weight", "encoder.mid.attn_1.norm.weight"},
        {"encoder.mid_block.attentions.0.to_q.weight", "encoder.mid.attn_1.q.weight"},
        {"decoder.mid_block.attentions.0.to_k.bias", "decoder.mid.attn_1.k.bias"},
        {"decoder.mid_block.attentions.0.to_v.weight", "decoder.mid.attn_1.v.weight"},
        {"decoder.mid_block.attentions.0.to_out.0.weight", "decoder.mid.attn_1.proj_out.weight"},
        {"encoder.conv_norm_out.bias", "encoder.norm_out.bias"},
        {"decoder.conv_in.weight", "decoder.conv_in.weight"},
        {"encoder.conv_out.weight", "encoder.conv_out.weight"},
        {"quant_conv.weight", "quant_conv.weight"},
        {"post_quant_conv.bias", "post_quant_conv.bias"},
    };
    for (const auto& [hf, ldm] : known) {
      const auto got = ns::sd::diffusersVaeToLdm(hf, l);
      QVERIFY2(got && *got == ldm, std::string(hf) + " -> " + (got ? *got : "(unmapped)") + ", expected " + ldm);
      const auto back = ns::sd::ldmVaeToDiffusers(ldm, l);
      QVERIFY2(back && *back == hf, std::string(ldm) + " -> " + (back ? *back : "(unmapped)") + ", expected " + hf);
    }
    // The older diffusers spellings map too.
    const std::pair<const char*, const char*> old[] = {
        {"encoder.mid_block.attentions.0.query.weight", "encoder.mid.attn_1.q.weight"},
        {"encoder.mid_block.attentions.0.key.bias", "encoder.mid.attn_1.k.bias"},
        {"decoder.mid_block.attentions.0.value.weight", "decoder.mid.attn_1.v.weight"},
        {"decoder.mid_block.attentions.0.proj_attn.bias", "decoder.mid.attn_1.proj_out.bias"}};
    for (const auto& [hf, ldm] : old) {
      const auto got = ns::sd::diffusersVaeToLdm(hf, l);
      QVERIFY2(got && *got == ldm, std::string(hf) + " -> " + (got ? *got : "(unmapped)"));
    }
    QVERIFY(ns::sd::vaeWeightIsConv1x1("decoder.mid.attn_1.proj_out.weight"));
    QVERIFY(!ns::sd::vaeWeightIsConv1x1("decoder.mid.attn_1.proj_out.bias"));
    QVERIFY(!ns::sd::vaeWeightIsConv1x1("decoder.mid.attn_1.norm.weight"));
    for (const char* bad : {"decoder.up_blocks.3.upsamplers.0.conv.weight", "encoder.down_blocks.3.downsamplers.0.conv.weight",
                            "encoder.down_blocks.0.resnets.2.conv1.weight", "decoder.up_blocks.0.resnets.3.conv1.weight",
                            "decoder.up_blocks.4.resnets.0.conv1.weight", "encoder.up_blocks.0.resnets.0.conv1.weight",
                            "encoder.mid_block.attentions.0.to_out.1.weight", "encoder.mid_block.resnets.0.time_emb_proj.weight",
                            "quant_conv.weight.x", "decoder.norm_out.weight"})
      QVERIFY2(!ns::sd::diffusersVaeToLdm(bad, l), std::string(bad) + " mapped");
  }

  // SD 2.x: the same block structure; head counts per level, and 1024-wide context -> family sd2.
  void sd2ConfigsGiveFamilyHeadsAndVPrediction() {
    ns::sd::DiffusersConfigTexts t;
    t.dir = "sd21";
    json unet = sd15UnetConfig();
    unet["attention_head_dim"] = {5, 10, 20, 20};
    unet["cross_attention_dim"] = 1024;
    unet["use_linear_projection"] = true;
    unet["sample_size"] = 96;
    TinySpec s;
    t.modelIndex = s.modelIndex.dump();
    t.unet = unet.dump();
    t.vae = sd15VaeConfig().dump();
    t.textEncoder = R"({"hidden_act": "gelu", "hidden_size": 1024})";
    t.scheduler = R"({"_class_name": "DDIMScheduler", "beta_schedule": "scaled_linear", "beta_start": 0.00085,
      "beta_end": 0.012, "prediction_type": "v_prediction", "timestep_spacing": "trailing",
      "rescale_betas_zero_snr": true})";
    t.specialTokensMap = R"({"pad_token": "!"})";
    auto c = ns::sd::parseDiffusersConfigs(t);
    QVERIFY2(c.ok(), c.ok() ? "" : c.error().message);
    QVERIFY(c->probe.family == ns::sd::SdFamily::Sd2);
    QVERIFY(c->probe.prediction == ns::PredictionType::VPrediction);
    QCOMPARE(c->probe.sampleSize, 96);
    QCOMPARE(c->probe.crossAttentionDim, 1024);
    QVERIFY(c->heads.headsPerLevel == std::vector<int>({5, 10, 20, 20}));
    QVERIFY(c->probe.schedule.spacing == ns::TimestepSpacing::Trailing);
    QVERIFY(c->probe.schedule.zeroTerminalSnr);
    QVERIFY(c->probe.schedule.setAlphaToOne);  // DDIMScheduler's default
    QCOMPARE(c->probe.schedule.stepsOffset, 0);  // diffusers' default when absent
    QCOMPARE(c->padToken, std::string("!"));
    QCOMPARE(c->padTokenSource, std::string("tokenizer/special_tokens_map.json"));
    QCOMPARE(c->unetLayout.levels, 4);
  }

  void readsSmallFolderIntoLdmNames() {
    TempDir d;
    const TinySpec s = tinySpec();
    writeFolder(s, d.path);
    auto r = ns::sd::readDiffusersFolder(d.str());
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
    const std::map<std::string, std::string> unetNames = {
        {"conv_in.weight", "input_blocks.0.0.weight"},
        {"time_embedding.linear_1.weight", "time_embed.0.weight"},
        {"down_blocks.0.resnets.0.conv1.weight", "input_blocks.1.0.in_layers.2.weight"},
        {"down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight",
         "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight"},
        {"down_blocks.0.downsamplers.0.conv.bias", "input_blocks.2.0.op.bias"},
        {"down_blocks.1.resnets.0.conv_shortcut.weight", "input_blocks.3.0.skip_connection.weight"},
        {"mid_block.attentions.0.proj_out.weight", "middle_block.1.proj_out.weight"},
        {"mid_block.resnets.1.time_emb_proj.bias", "middle_block.2.emb_layers.1.bias"},
        {"up_blocks.0.upsamplers.0.conv.weight", "output_blocks.1.1.conv.weight"},  // UpBlock2D: at .1
        {"up_blocks.1.resnets.1.norm2.weight", "output_blocks.3.0.out_layers.0.weight"},
        {"up_blocks.1.attentions.1.norm.bias", "output_blocks.3.1.norm.bias"},
        {"conv_out.bias", "out.2.bias"}};
    const std::map<std::string, std::string> vaeNames = {
        {"encoder.down_blocks.0.downsamplers.0.conv.weight", "encoder.down.0.downsample.conv.weight"},
        {"encoder.mid_block.attentions.0.to_q.weight", "encoder.mid.attn_1.q.weight"},
        {"encoder.mid_block.attentions.0.to_q.bias", "encoder.mid.attn_1.q.bias"},
        {"decoder.mid_block.attentions.0.proj_attn.weight", "decoder.mid.attn_1.proj_out.weight"},
        {"decoder.up_blocks.0.resnets.1.conv2.weight", "decoder.up.1.block.1.conv2.weight"},
        {"decoder.up_blocks.1.resnets.0.conv_shortcut.weight", "decoder.up.0.block.0.nin_shortcut.weight"},
        {"decoder.conv_norm_out.weight", "decoder.norm_out.weight"},
        {"post_quant_conv.weight", "post_quant_conv.weight"}};
    QCOMPARE(r->weights.size(), unetNames.size() + vaeNames.size());
    for (const auto& [hf, ldm] : unetNames) {
      auto it = r->weights.find("model.diffusion_model." + ldm);
      QVERIFY2(it != r->weights.end(), "missing model.diffusion_model." + ldm);
      QVERIFY2(bitwiseEqual(it->second, s.unetW.at(hf)), ldm + " differs from " + hf + " (dtype or bytes)");
    }
    for (const auto& [hf, ldm] : vaeNames) {
      auto it = r->weights.find("first_stage_model." + ldm);
      QVERIFY2(it != r->weights.end(), "missing first_stage_model." + ldm);
      at::Tensor want = s.vaeW.at(hf);
      if (ns::sd::vaeWeightIsConv1x1(ldm)) want = want.reshape({want.size(0), want.size(1), 1, 1});
      QVERIFY2(bitwiseEqual(it->second, want), ldm + " differs from " + hf);
    }
    QCOMPARE(r->weights.at("first_stage_model.encoder.mid.attn_1.q.weight").dim(), int64_t(4));
    QVERIFY(r->weights.at("first_stage_model.encoder.mid.attn_1.q.weight").scalar_type() == at::kHalf);
    QCOMPARE(r->textEncoder.size(), s.textW.size());
    for (const auto& [name, t] : s.textW) QVERIFY2(bitwiseEqual(r->textEncoder.at(name), t), name);

    const auto& p = r->configs.probe;
    QVERIFY(p.family == ns::sd::SdFamily::Sd1);  // 32-wide context: decided by quick_gelu
    QVERIFY(p.prediction == ns::PredictionType::Epsilon);
    QVERIFY(p.schedule.beta == ns::BetaSchedule::ScaledLinear);
    QCOMPARE(p.schedule.betaStart, 0.00085);
    QCOMPARE(p.schedule.betaEnd, 0.012);
    QCOMPARE(p.schedule.trainSteps, 1000);
    QCOMPARE(p.schedule.stepsOffset, 1);
    QVERIFY(!p.schedule.setAlphaToOne);
    QVERIFY(p.schedule.spacing == ns::TimestepSpacing::Leading);
    QCOMPARE(p.pipelineClass, std::string("StableDiffusionPipeline"));
    QCOMPARE(p.schedulerClass, std::string("PNDMScheduler"));
    QCOMPARE(p.sampleSize, 8);
    QCOMPARE(r->configs.heads.heads, 2);
    QCOMPARE(r->configs.padToken, std::string("<|endoftext|>"));
    QCOMPARE(r->configs.padTokenSource, std::string("tokenizer/tokenizer_config.json"));
    QCOMPARE(r->unetFile, std::string("unet/diffusion_pytorch_model.safetensors"));
    QCOMPARE(r->textEncoderFile, std::string("text_encoder/model.safetensors"));
    QCOMPARE(r->vocabPath, (d.path / "tokenizer/vocab.json").string());
    const int64_t bytes = int64_t(fs::file_size(d.path / "unet/diffusion_pytorch_model.safetensors") +
                                  fs::file_size(d.path / "vae/diffusion_pytorch_model.safetensors") +
                                  fs::file_size(d.path / "text_encoder/model.safetensors"));
    QCOMPARE(p.totalWeightBytes, bytes);

    // The probe agrees, from configs and file sizes alone.
    auto probe = ns::sd::probeDiffusersFolder(d.str());
    QVERIFY2(probe.ok(), probe.ok() ? "" : probe.error().message);
    QVERIFY(probe->family == ns::sd::SdFamily::Sd1);
    QCOMPARE(probe->totalWeightBytes, bytes);

    // Only the parts asked for are read.
    ns::sd::DiffusersReadOptions unetOnly;
    unetOnly.readVae = unetOnly.readTextEncoder = false;
    auto u = ns::sd::readDiffusersFolder(d.str(), unetOnly);
    QVERIFY2(u.ok(), u.ok() ? "" : u.error().message);
    QCOMPARE(u->weights.size(), unetNames.size());
    QVERIFY(u->textEncoder.empty());
  }

  // The probe does not read weights: a garbage weights file still probes, and fails to read.
  void probeReadsNoWeights() {
    TempDir d;
    writeFolder(tinySpec(), d.path);
    writeText(d.path / "unet/diffusion_pytorch_model.safetensors", std::string(100, 'x'));
    auto probe = ns::sd::probeDiffusersFolder(d.str());
    QVERIFY2(probe.ok(), probe.ok() ? "" : probe.error().message);
    const std::string e = errorOf(d.str());
    QVERIFY2(contains(e, "unet/diffusion_pytorch_model.safetensors"), e);
  }

  void fp16VariantAndShards() {
    TempDir d;
    const TinySpec s = tinySpec();
    writeFolder(s, d.path);
    // Only the fp16 variant of the UNet: it is read.
    fs::rename(d.path / "unet/diffusion_pytorch_model.safetensors", d.path / "unet/diffusion_pytorch_model.fp16.safetensors");
    auto r = ns::sd::readDiffusersFolder(d.str());
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
    QCOMPARE(r->unetFile, std::string("unet/diffusion_pytorch_model.fp16.safetensors"));
    QVERIFY(r->weights.count("model.diffusion_model.output_blocks.1.1.conv.weight"));
    // Both present: the full one by default, the fp16 one when preferred.
    std::map<std::string, at::Tensor> other = s.unetW;
    other["conv_in.weight"] = at::zeros({8, 4, 3, 3});
    QVERIFY(ns::writeSafetensors((d.path / "unet/diffusion_pytorch_model.safetensors").string(), other).ok());
    r = ns::sd::readDiffusersFolder(d.str());
    QVERIFY(r.ok());
    QCOMPARE(r->unetFile, std::string("unet/diffusion_pytorch_model.safetensors"));
    QVERIFY(bitwiseEqual(r->weights.at("model.diffusion_model.input_blocks.0.0.weight"), other["conv_in.weight"]));
    ns::sd::DiffusersReadOptions fp16;
    fp16.preferFp16 = true;
    r = ns::sd::readDiffusersFolder(d.str(), fp16);
    QVERIFY(r.ok());
    QCOMPARE(r->unetFile, std::string("unet/diffusion_pytorch_model.fp16.safetensors"));
    QVERIFY(bitwiseEqual(r->weights.at("model.diffusion_model.input_blocks.0.0.weight"), s.unetW.at("conv_in.weight")));

    // Sharded VAE: two shards and an index.
    fs::remove(d.path / "vae/diffusion_pytorch_model.safetensors");
    std::map<std::string, at::Tensor> a, b;
    json index;
    bool second = false;  // alternate the tensors between the shards
    for (const auto& [name, t] : s.vaeW) {
      (second ? b : a)[name] = t;
      index["weight_map"][name] = second ? "diffusion_pytorch_model-00002-of-00002.safetensors"
                                         : "diffusion_pytorch_model-00001-of-00002.safetensors";
      second = !second;
    }
    QVERIFY(ns::writeSafetensors((d.path / "vae/diffusion_pytorch_model-00001-of-00002.safetensors").string(), a).ok());
    QVERIFY(ns::writeSafetensors((d.path / "vae/diffusion_pytorch_model-00002-of-00002.safetensors").string(), b).ok());
    writeText(d.path / "vae/diffusion_pytorch_model.safetensors.index.json", index.dump());
    r = ns::sd::readDiffusersFolder(d.str());
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
    QCOMPARE(r->vaeFile, std::string("vae/diffusion_pytorch_model.safetensors.index.json"));
    QVERIFY(bitwiseEqual(r->weights.at("first_stage_model.decoder.norm_out.weight"), s.vaeW.at("decoder.conv_norm_out.weight")));
    QCOMPARE(r->weights.size(), s.unetW.size() + s.vaeW.size());

    // An index may not point outside its folder.
    index["weight_map"]["decoder.conv_norm_out.weight"] = "../unet/diffusion_pytorch_model.safetensors";
    writeText(d.path / "vae/diffusion_pytorch_model.safetensors.index.json", index.dump());
    std::string e = errorOf(d.str());
    QVERIFY2(contains(e, "vae/diffusion_pytorch_model.safetensors.index.json") && contains(e, "decoder.conv_norm_out.weight"), e);
    // A tensor the index lists but its shard lacks.
    index["weight_map"]["decoder.conv_norm_out.weight"] = "diffusion_pytorch_model-00001-of-00002.safetensors";
    index["weight_map"]["decoder.conv_out.weight"] = "diffusion_pytorch_model-00001-of-00002.safetensors";
    writeText(d.path / "vae/diffusion_pytorch_model.safetensors.index.json", index.dump());
    e = errorOf(d.str());
    QVERIFY2(contains(e, "decoder.conv_out.weight") && contains(e, "not found"), e);
  }

  // torch.save .bin weights (older folders; tests/data/diffusers_bin from
  // tools/make_diffusers_bin_fixture.py) are read by the restricted checkpoint reader and renamed
  // like safetensors ones; safetensors win when both are present.
  void readsPickleWeights() {
    const fs::path bins = fs::path(nstest::dataDir()) / "diffusers_bin";
    auto expected = ns::readSafetensors((bins / "expected.safetensors").string());
    QVERIFY2(expected.ok(), expected.ok() ? "" : expected.error().message);
    TempDir d;
    writeFolder(tinySpec(), d.path);
    for (const char* f : {"unet/diffusion_pytorch_model", "vae/diffusion_pytorch_model", "text_encoder/model"})
      fs::remove(d.path / (std::string(f) + ".safetensors"));
    for (const char* f : {"unet/diffusion_pytorch_model.bin", "vae/diffusion_pytorch_model.bin", "text_encoder/pytorch_model.bin"})
      fs::copy_file(bins / f, d.path / f);
    auto r = ns::sd::readDiffusersFolder(d.str());
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
    QCOMPARE(r->unetFile, std::string("unet/diffusion_pytorch_model.bin"));
    QCOMPARE(r->textEncoderFile, std::string("text_encoder/pytorch_model.bin"));
    const std::pair<const char*, const char*> names[] = {
        {"unet/conv_in.weight", "model.diffusion_model.input_blocks.0.0.weight"},
        {"unet/down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight",
         "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight"},
        {"unet/mid_block.resnets.1.time_emb_proj.bias", "model.diffusion_model.middle_block.2.emb_layers.1.bias"},
        {"unet/up_blocks.0.upsamplers.0.conv.weight", "model.diffusion_model.output_blocks.1.1.conv.weight"},
        {"vae/decoder.up_blocks.0.resnets.0.conv1.weight", "first_stage_model.decoder.up.1.block.0.conv1.weight"},
        {"vae/encoder.mid_block.attentions.0.to_v.weight", "first_stage_model.encoder.mid.attn_1.v.weight"}};
    QCOMPARE(r->weights.size(), sizeof(names) / sizeof(names[0]));
    for (const auto& [stored, ldm] : names) {
      auto it = r->weights.find(ldm);
      QVERIFY2(it != r->weights.end(), std::string("missing ") + ldm);
      at::Tensor want = expected->tensors.at(stored);
      if (contains(ldm, "attn_1.v.weight")) want = want.reshape({want.size(0), want.size(1), 1, 1});
      QVERIFY2(bitwiseEqual(it->second, want), std::string(ldm) + " differs from " + stored);
    }
    QVERIFY(bitwiseEqual(r->textEncoder.at("text_model.final_layer_norm.weight"),
                         expected->tensors.at("text_encoder/text_model.final_layer_norm.weight")));
    // A safetensors file next to the pickle wins.
    const TinySpec s = tinySpec();
    QVERIFY(ns::writeSafetensors((d.path / "unet/diffusion_pytorch_model.safetensors").string(), s.unetW).ok());
    r = ns::sd::readDiffusersFolder(d.str());
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
    QCOMPARE(r->unetFile, std::string("unet/diffusion_pytorch_model.safetensors"));
  }

  void refusesMissingUnetWeights() {
    TempDir d;
    writeFolder(tinySpec(), d.path);
    fs::remove(d.path / "unet/diffusion_pytorch_model.safetensors");
    std::string e = errorOf(d.str());
    QVERIFY2(contains(e, d.str()) && contains(e, "unet/diffusion_pytorch_model.safetensors"), e);
    auto probe = ns::sd::probeDiffusersFolder(d.str());
    QVERIFY(!probe.ok());
    QVERIFY2(contains(probe.error().message, "unet/diffusion_pytorch_model.safetensors"), probe.error().message);
    // A broken pickle instead: the checkpoint reader's error names it.
    writeText(d.path / "unet/diffusion_pytorch_model.bin", "PK\x03\x04 not a zip");
    e = errorOf(d.str());
    QVERIFY2(contains(e, "unet/diffusion_pytorch_model.bin"), e);
    // Sharded pickles: refused, saying to convert.
    fs::remove(d.path / "unet/diffusion_pytorch_model.bin");
    writeText(d.path / "unet/diffusion_pytorch_model.bin.index.json", R"({"weight_map": {}})");
    e = errorOf(d.str());
    QVERIFY2(contains(e, "unet/diffusion_pytorch_model.bin.index.json") && contains(e, "convert"), e);
    // A missing config or tokenizer file is named too.
    TempDir d2;
    writeFolder(tinySpec(), d2.path);
    fs::remove(d2.path / "scheduler/scheduler_config.json");
    e = errorOf(d2.str());
    QVERIFY2(contains(e, "scheduler/scheduler_config.json"), e);
    TempDir d3;
    writeFolder(tinySpec(), d3.path);
    fs::remove(d3.path / "tokenizer/merges.txt");
    e = errorOf(d3.str());
    QVERIFY2(contains(e, "tokenizer/merges.txt"), e);
    probe = ns::sd::probeDiffusersFolder(d3.str());
    QVERIFY2(!probe.ok() && contains(probe.error().message, "tokenizer/merges.txt"), "the probe lists a folder without merges.txt");
    QVERIFY2(contains(errorOf((d3.path / "nothing").string()), "not a folder"), errorOf((d3.path / "nothing").string()));
  }

  void refusesCorruptConfig() {
    TempDir d;
    writeFolder(tinySpec(), d.path);
    writeText(d.path / "unet/config.json", "{\"block_out_channels\": [8, 16");
    std::string e = errorOf(d.str());
    QVERIFY2(contains(e, "unet/config.json") && contains(e, "JSON"), e);
    // Valid JSON, wrong field: the field is named.
    TinySpec s = tinySpec();
    s.vae["layers_per_block"] = "two";
    writeFolder(s, d.path);
    e = errorOf(d.str());
    QVERIFY2(contains(e, "vae/config.json") && contains(e, "layers_per_block"), e);
    s = tinySpec();
    s.scheduler["prediction_type"] = "flow";
    writeFolder(s, d.path);
    e = errorOf(d.str());
    QVERIFY2(contains(e, "scheduler/scheduler_config.json") && contains(e, "prediction_type"), e);
    s = tinySpec();
    s.unet["down_block_types"] = {"CrossAttnDownBlock2D", "SimpleCrossAttnDownBlock2D"};
    writeFolder(s, d.path);
    e = errorOf(d.str());
    QVERIFY2(contains(e, "unet/config.json") && contains(e, "SimpleCrossAttnDownBlock2D"), e);
  }

  void refusesUnmappedTensor() {
    TempDir d;
    TinySpec s = tinySpec();
    s.unetW["down_blocks.1.attentions.0.proj_in.weight"] = at::randn({16, 16, 1, 1});  // DownBlock2D level
    writeFolder(s, d.path);
    std::string e = errorOf(d.str());
    QVERIFY2(contains(e, "down_blocks.1.attentions.0.proj_in.weight") &&
                 contains(e, "unet/diffusion_pytorch_model.safetensors"), e);
    s = tinySpec();
    s.vaeW["encoder.mid_block.attentions.0.query.weight"] = at::randn({16, 16});  // same LDM name as to_q
    writeFolder(s, d.path);
    e = errorOf(d.str());
    QVERIFY2(contains(e, "vae/diffusion_pytorch_model.safetensors") && contains(e, "encoder.mid.attn_1.q.weight"), e);
    s = tinySpec();
    s.textW["logit_scale"] = at::ones({1});
    writeFolder(s, d.path);
    e = errorOf(d.str());
    QVERIFY2(contains(e, "text_encoder/model.safetensors") && contains(e, "logit_scale"), e);
  }

  void refusesUnsupportedFamilies() {
    TempDir d;
    TinySpec s = tinySpec();
    s.modelIndex["_class_name"] = "StableDiffusionXLPipeline";
    s.modelIndex["text_encoder_2"] = {"transformers", "CLIPTextModelWithProjection"};
    s.modelIndex["tokenizer_2"] = {"transformers", "CLIPTokenizer"};
    writeFolder(s, d.path);
    std::string e = errorOf(d.str());
    QVERIFY2(contains(e, "model_index.json") && contains(e, "SDXL is not supported yet"), e);
    auto probe = ns::sd::probeDiffusersFolder(d.str());
    QVERIFY(!probe.ok() && contains(probe.error().message, "SDXL is not supported yet"));
    // An SDXL UNet under an SD pipeline name is caught by its config.
    s = tinySpec();
    s.unet["addition_embed_type"] = "text_time";
    writeFolder(s, d.path);
    e = errorOf(d.str());
    QVERIFY2(contains(e, "unet/config.json") && contains(e, "SDXL is not supported yet"), e);
    // SD3: a transformer, no unet.
    TempDir d3;
    s = tinySpec();
    s.modelIndex = json::parse(R"({"_class_name": "StableDiffusion3Pipeline", "transformer": ["diffusers", "SD3Transformer2DModel"],
      "vae": ["diffusers", "AutoencoderKL"]})");
    writeFolder(s, d3.path);
    e = errorOf(d3.str());
    QVERIFY2(contains(e, "model_index.json") && contains(e, "StableDiffusion3Pipeline"), e);
    // A context width that is no SD's and a text encoder that does not say.
    s = tinySpec();
    s.textEncoder.erase("hidden_act");
    writeFolder(s, d.path);
    e = errorOf(d.str());
    QVERIFY2(contains(e, "cross_attention_dim 32"), e);
  }

  // The fixture: the same random weights in both layouts (tests/data/sd/README.md).
  void fixtureFolderEqualsSingleFile() {
    const fs::path sd = fs::path(nstest::dataDir()) / "sd";
    const fs::path folder = sd / "sd1_tiny_diffusers", single = sd / "sd1_tiny.safetensors";
    if (!fs::exists(folder) || !fs::exists(single)) QSKIP("tests/data/sd/sd1_tiny_diffusers not present yet");
    auto r = ns::sd::readDiffusersFolder(folder.string());
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
    auto st = ns::readSafetensors(single.string());
    QVERIFY2(st.ok(), st.ok() ? "" : st.error().message);
    std::map<std::string, at::Tensor> ldm, text;
    for (const auto& [name, t] : st->tensors) {
      if (name.rfind("model.diffusion_model.", 0) == 0 || name.rfind("first_stage_model.", 0) == 0) ldm[name] = t;
      const std::string te = "cond_stage_model.transformer.";
      if (name.rfind(te, 0) == 0) text[name.substr(te.size())] = t;
    }
    auto compare = [](const std::map<std::string, at::Tensor>& want, const ns::sd::WeightMap& got,
                      const std::string& what) -> std::string {
      for (const auto& [name, t] : want) {
        auto it = got.find(name);
        if (it == got.end()) return what + ": the folder lacks " + name;
        const at::Tensor a = t.to(at::kFloat).contiguous(), b = it->second.to(at::kFloat).contiguous();
        if (a.sizes() != b.sizes()) return what + ": " + name + " has another shape";
        if (std::memcmp(a.data_ptr(), b.data_ptr(), size_t(a.numel()) * 4) != 0) return what + ": " + name + " differs";
      }
      for (const auto& [name, t] : got)
        if (!want.count(name)) return what + ": the folder has " + name + ", the single file does not";
      return "";
    };
    QVERIFY2(!ldm.empty(), "no UNet/VAE tensors in sd1_tiny.safetensors");
    std::string diff = compare(ldm, r->weights, "UNet/VAE");
    QVERIFY2(diff.empty(), diff);
    QVERIFY2(!text.empty(), "no cond_stage_model.transformer.* tensors in sd1_tiny.safetensors");
    diff = compare(text, r->textEncoder, "text encoder");
    QVERIFY2(diff.empty(), diff);
    // What the configs say (tests/data/sd/README.md: tiny SD 1.x, PNDM with SD 1.5's settings).
    const auto& p = r->configs.probe;
    QVERIFY(p.family == ns::sd::SdFamily::Sd1);
    QVERIFY(p.prediction == ns::PredictionType::Epsilon);
    QVERIFY(p.schedule.beta == ns::BetaSchedule::ScaledLinear);
    QCOMPARE(p.schedule.stepsOffset, 1);
    QVERIFY(!p.schedule.setAlphaToOne);
    QCOMPARE(r->configs.heads.heads, 2);
    QCOMPARE(r->configs.padToken, std::string("<|endoftext|>"));
    QCOMPARE(r->unetFile, std::string("unet/diffusion_pytorch_model.fp16.safetensors"));
    auto probe = ns::sd::probeDiffusersFolder(folder.string());
    QVERIFY2(probe.ok(), probe.ok() ? "" : probe.error().message);
    QCOMPARE(probe->totalWeightBytes, p.totalWeightBytes);
    qInfo("fixture: %zu UNet/VAE tensors and %zu text-encoder tensors equal", ldm.size(), text.size());
  }

  // Every UNet/VAE key of real SD 1.5 and SD 2.1 single files (same block layout) maps to
  // diffusers and back to itself, no two keys to the same diffusers name.
  void realSd15KeysRoundTrip() {
    const auto ul = sd15Unet();
    const auto vl = sd15Vae();
    for (const char* file : {"keys_sd15.txt", "keys_sd21.txt"}) {
      const fs::path keys = fs::path(nstest::dataDir()) / "sd" / file;
      if (!fs::exists(keys)) QSKIP("tests/data/sd key lists not present yet");
      std::ifstream in(keys);
      std::string line;
      int unet = 0, vae = 0;
      std::set<std::string> hfUnet, hfVae;
      while (std::getline(in, line)) {
        std::istringstream ls(line);
        std::string name;
        ls >> name;
        const std::string up = "model.diffusion_model.", vp = "first_stage_model.";
        if (name.rfind(up, 0) == 0) {
          const std::string n = name.substr(up.size());
          const auto hf = ns::sd::ldmUnetToDiffusers(n, ul);
          QVERIFY2(hf, "no diffusers name for " + name);
          const auto back = ns::sd::diffusersUnetToLdm(*hf, ul);
          QVERIFY2(back && *back == n, name + " -> " + *hf + " -> " + (back ? *back : "(unmapped)"));
          QVERIFY2(hfUnet.insert(*hf).second, "two LDM names give " + *hf);
          ++unet;
        } else if (name.rfind(vp, 0) == 0) {
          const std::string n = name.substr(vp.size());
          const auto hf = ns::sd::ldmVaeToDiffusers(n, vl);
          QVERIFY2(hf, "no diffusers name for " + name);
          const auto back = ns::sd::diffusersVaeToLdm(*hf, vl);
          QVERIFY2(back && *back == n, name + " -> " + *hf + " -> " + (back ? *back : "(unmapped)"));
          QVERIFY2(hfVae.insert(*hf).second, "two LDM names give " + *hf);
          ++vae;
        }
      }
      // SD 1.5 and 2.1: 686 UNet and 248 VAE tensors each.
      QCOMPARE(unet, 686);
      QCOMPARE(vae, 248);
    }
  }
};

NS_REGISTER_TEST(TstDiffusersFolder, unetNamesOfSd15, unetNamesOutsideTheLayout, vaeNamesOfSd15,
                 sd2ConfigsGiveFamilyHeadsAndVPrediction, readsSmallFolderIntoLdmNames, probeReadsNoWeights,
                 fp16VariantAndShards, readsPickleWeights, refusesMissingUnetWeights, refusesCorruptConfig,
                 refusesUnmappedTensor, refusesUnsupportedFamilies, fixtureFolderEqualsSingleFile,
                 realSd15KeysRoundTrip)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_diffusers_folder.moc"
#endif
