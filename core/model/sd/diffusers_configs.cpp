#include "core/model/sd/diffusers_configs.h"

#include <spdlog/spdlog.h>

#include <cmath>

#include "core/model/json_fields.h"
#include "core/model/sd/diffusers_json.h"

namespace ns::sd {

namespace {

std::string inDir(const std::string& dir, const std::string& file) { return dir.empty() ? file : dir + "/" + file; }

Result<nlohmann::json> parseObject(const std::string& text, const std::string& file) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return makeError(ErrorKind::Model, file + ": not valid JSON");
  if (!j.is_object()) return makeError(ErrorKind::Model, file + ": must hold a JSON object");
  return j;
}

bool isSet(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && !it->is_null();
}

// model_index.json: the pipeline class and its parts. Refuses what is not an SD 1.x/2.x pipeline.
Result<std::string> checkModelIndex(const nlohmann::json& mi, const std::string& file) {
  const JsonFields f(mi, file);
  auto cls = f.optStr("_class_name", "");
  if (!cls.ok()) return cls.error();
  if (isSet(mi, "text_encoder_2") || isSet(mi, "tokenizer_2") || cls->find("XL") != std::string::npos)
    return makeError(ErrorKind::Model, file + ": SDXL is not supported yet (" +
                                           (cls->empty() ? std::string("it names text_encoder_2") : "pipeline " + *cls) +
                                           "); NoiseStudio runs Stable Diffusion 1.x and 2.x");
  if (!isSet(mi, "unet"))
    return makeError(ErrorKind::Model, file + ": " + (cls->empty() ? std::string("this pipeline") : *cls) +
                                           (isSet(mi, "transformer") ? " has a transformer instead of a UNet (SD3/Flux-style)"
                                                                     : " names no unet") +
                                           " and is not supported; NoiseStudio runs Stable Diffusion 1.x and 2.x");
  // Each part is ["library", "ClassName"]; the classes decide whether our modules fit.
  const std::pair<const char*, const char*> expected[] = {
      {"unet", "UNet2DConditionModel"}, {"vae", "AutoencoderKL"}, {"text_encoder", "CLIPTextModel"}};
  for (const auto& [part, want] : expected) {
    const nlohmann::json* v = f.find(part);
    if (!v || v->is_null()) return f.error(part, "is missing: the folder has no " + std::string(part));
    if (!v->is_array() || v->size() != 2 || !(*v)[1].is_string())
      return f.error(part, "must be [\"library\", \"ClassName\"]");
    const std::string got = (*v)[1].get<std::string>();
    if (got != want)
      return f.error(part, "is a " + got + "; only " + want + " (Stable Diffusion 1.x/2.x) is supported");
  }
  return *cls;
}

// attention_head_dim / num_attention_heads -> HeadSplit. diffusers' SD configs store the HEAD COUNT
// in attention_head_dim (a historical misnomer it keeps for compatibility): 8 for SD 1.x,
// [5, 10, 20, 20] for SD 2.x; num_attention_heads, when set, wins.
Result<HeadSplit> parseHeads(const nlohmann::json& unet, const JsonFields& f, int levels) {
  const char* field = isSet(unet, "num_attention_heads") ? "num_attention_heads" : "attention_head_dim";
  HeadSplit h;
  const nlohmann::json* v = f.find(field);
  if (!v || v->is_null()) {
    h.heads = 8;  // diffusers' default attention_head_dim
    return h;
  }
  if (v->is_array()) {
    auto list = diffusersIntList(f, field, 1, 4096);
    if (!list.ok()) return list.error();
    if (int(list->size()) != levels) return f.error(field, "must list one head count per block_out_channels entry");
    h.headsPerLevel = *list;
    return h;
  }
  auto n = f.integer(field);
  if (!n.ok()) return n.error();
  if (*n < 1 || *n > 4096) return f.error(field, "must be in [1, 4096] (got " + std::to_string(*n) + ")");
  h.heads = *n;
  return h;
}

// The family from the context width, or from the text encoder's activation when the width is not
// one of the real ones (small test models).
Result<SdFamily> guessFamily(int contextDim, const nlohmann::json& te, const std::string& unetFile,
                             const std::string& teFile) {
  if (contextDim == 768) return SdFamily::Sd1;
  if (contextDim == 1024) return SdFamily::Sd2;
  const JsonFields f(te, teFile);
  auto act = f.optStr("hidden_act", "");
  if (!act.ok()) return act.error();
  if (*act == "quick_gelu") return SdFamily::Sd1;  // openai CLIP ViT-L/14
  if (*act == "gelu") return SdFamily::Sd2;        // OpenCLIP ViT-H/14
  return makeError(ErrorKind::Model, unetFile + ": cross_attention_dim " + std::to_string(contextDim) +
                                         " is neither Stable Diffusion 1.x's 768 nor 2.x's 1024, and " + teFile +
                                         " does not name CLIP's activation (quick_gelu or gelu)");
}

Result<double> unitInterval(const JsonFields& f, const std::string& field, double fallback) {
  if (!f.find(field)) return fallback;
  auto v = f.num(field);
  if (!v.ok()) return v.error();
  if (!(*v > 0.0 && *v < 1.0)) return f.error(field, "must be in (0, 1) (got " + std::to_string(*v) + ")");
  return *v;
}

// scheduler_config.json -> schedule and prediction. Absent fields take diffusers' class defaults
// (DDIMScheduler/PNDMScheduler: linear 0.0001..0.02 over 1000 steps, offset 0, leading spacing).
Result<void> parseScheduler(const nlohmann::json& s, const std::string& file, DiffusersProbe& p) {
  const JsonFields f(s, file);
  auto cls = f.optStr("_class_name", "");
  if (!cls.ok()) return cls.error();
  p.schedulerClass = *cls;
  if (isSet(s, "trained_betas"))
    return f.error("trained_betas", "is set; explicit beta lists are not supported (use beta_schedule)");
  ScheduleConfig& c = p.schedule;
  auto beta = f.optStr("beta_schedule", "linear");
  if (!beta.ok()) return beta.error();
  c.beta = betaScheduleFromString(*beta);
  if (c.beta == BetaSchedule::Invalid)
    return f.error("beta_schedule", "is '" + *beta + "'; expected linear, scaled_linear or squaredcos_cap_v2");
  auto b0 = unitInterval(f, "beta_start", 0.0001);
  if (!b0.ok()) return b0.error();
  auto b1 = unitInterval(f, "beta_end", 0.02);
  if (!b1.ok()) return b1.error();
  c.betaStart = *b0;
  c.betaEnd = *b1;
  auto steps = f.optInteger("num_train_timesteps", 1000);
  if (!steps.ok()) return steps.error();
  if (*steps < 2 || *steps > 100000) return f.error("num_train_timesteps", "must be in [2, 100000]");
  c.trainSteps = *steps;
  auto offset = f.optInteger("steps_offset", 0);
  if (!offset.ok()) return offset.error();
  if (*offset < 0 || *offset >= c.trainSteps) return f.error("steps_offset", "must be in [0, num_train_timesteps)");
  c.stepsOffset = *offset;
  auto spacing = f.optStr("timestep_spacing", "leading");
  if (!spacing.ok()) return spacing.error();
  c.spacing = timestepSpacingFromString(*spacing);
  if (c.spacing == TimestepSpacing::Invalid)
    return f.error("timestep_spacing", "is '" + *spacing + "'; expected leading, trailing or linspace");
  // set_alpha_to_one defaults to true in DDIMScheduler, false in PNDMScheduler (SD 1.x's default).
  auto one = f.boolean("set_alpha_to_one", *cls == "DDIMScheduler");
  if (!one.ok()) return one.error();
  c.setAlphaToOne = *one;
  auto zsnr = f.boolean("rescale_betas_zero_snr", false);
  if (!zsnr.ok()) return zsnr.error();
  c.zeroTerminalSnr = *zsnr;
  auto pred = f.optStr("prediction_type", "epsilon");
  if (!pred.ok()) return pred.error();
  p.prediction = predictionTypeFromString(*pred);
  if (p.prediction == PredictionType::Invalid)
    return f.error("prediction_type", "is '" + *pred + "'; expected epsilon, v_prediction or sample");
  return {};
}

// A pad_token entry: a string, or an AddedToken object {"content": "..."}; nullopt if absent.
Result<std::optional<std::string>> padTokenOf(const nlohmann::json& obj, const std::string& file) {
  auto it = obj.find("pad_token");
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  if (it->is_string()) return std::optional<std::string>(it->get<std::string>());
  if (it->is_object()) {
    auto c = it->find("content");
    if (c != it->end() && c->is_string()) return std::optional<std::string>(c->get<std::string>());
  }
  return makeError(ErrorKind::Model, file + ": field 'pad_token' must be a string or an object with a 'content' string");
}

}  // namespace

Result<DiffusersConfigs> parseDiffusersConfigs(const DiffusersConfigTexts& t) {
  DiffusersConfigs out;
  DiffusersProbe& p = out.probe;
  const std::string miFile = inDir(t.dir, kModelIndexFile), unetFile = inDir(t.dir, kUnetConfigFile),
                    vaeFile = inDir(t.dir, kVaeConfigFile), teFile = inDir(t.dir, kTextEncoderConfigFile),
                    schedFile = inDir(t.dir, kSchedulerConfigFile);

  auto mi = parseObject(t.modelIndex, miFile);
  if (!mi.ok()) return mi.error();
  out.modelIndex = std::move(*mi);
  auto cls = checkModelIndex(out.modelIndex, miFile);
  if (!cls.ok()) return cls.error();
  p.pipelineClass = *cls;

  auto unet = parseObject(t.unet, unetFile);
  if (!unet.ok()) return unet.error();
  out.unet = std::move(*unet);
  const JsonFields uf(out.unet, unetFile);
  if (isSet(out.unet, "addition_embed_type"))
    return makeError(ErrorKind::Model, unetFile + ": SDXL is not supported yet (the UNet has an addition_embed_type)");
  if (isSet(out.unet, "class_embed_type") || isSet(out.unet, "num_class_embeds"))
    return makeError(ErrorKind::Model, unetFile + ": a class-conditioned UNet (e.g. the x4 upscaler) is not supported");
  auto ul = unetLayoutFromConfig(out.unet, unetFile);
  if (!ul.ok()) return ul.error();
  out.unetLayout = *ul;
  auto heads = parseHeads(out.unet, uf, ul->levels);
  if (!heads.ok()) return heads.error();
  out.heads = *heads;
  auto ctx = uf.integer("cross_attention_dim");
  if (!ctx.ok()) return ctx.error();
  if (*ctx < 1 || *ctx > 65536) return uf.error("cross_attention_dim", "must be in [1, 65536]");
  p.crossAttentionDim = *ctx;
  auto sample = uf.optInteger("sample_size", 64);
  if (!sample.ok()) return sample.error();
  if (*sample < 1 || *sample > 4096) return uf.error("sample_size", "must be in [1, 4096]");
  p.sampleSize = *sample;

  auto vae = parseObject(t.vae, vaeFile);
  if (!vae.ok()) return vae.error();
  out.vae = std::move(*vae);
  auto vl = vaeLayoutFromConfig(out.vae, vaeFile);
  if (!vl.ok()) return vl.error();
  out.vaeLayout = *vl;
  const JsonFields vf(out.vae, vaeFile);
  if (vf.find("scaling_factor")) {
    auto s = vf.num("scaling_factor");
    if (!s.ok()) return s.error();
    if (!(std::isfinite(*s) && *s > 0.0)) return vf.error("scaling_factor", "must be a positive number");
    p.vaeScale = *s;
  }

  auto te = parseObject(t.textEncoder, teFile);
  if (!te.ok()) return te.error();
  out.textEncoder = std::move(*te);
  auto fam = guessFamily(p.crossAttentionDim, out.textEncoder, unetFile, teFile);
  if (!fam.ok()) return fam.error();
  p.family = *fam;

  auto sched = parseObject(t.scheduler, schedFile);
  if (!sched.ok()) return sched.error();
  out.scheduler = std::move(*sched);
  auto s = parseScheduler(out.scheduler, schedFile, p);
  if (!s.ok()) return s.error();

  // The pad token: tokenizer_config.json, then special_tokens_map.json, then the family's own.
  const std::pair<const std::optional<std::string>*, const char*> tokFiles[] = {
      {&t.tokenizerConfig, kTokenizerConfigFile}, {&t.specialTokensMap, kSpecialTokensFile}};
  for (const auto& [text, name] : tokFiles) {
    if (!*text || !out.padToken.empty()) continue;
    const std::string file = inDir(t.dir, name);
    auto j = parseObject(**text, file);
    if (!j.ok()) return j.error();
    auto pad = padTokenOf(*j, file);
    if (!pad.ok()) return pad.error();
    if (*pad) {
      out.padToken = **pad;
      out.padTokenSource = name;
    }
  }
  if (out.padToken.empty()) {
    out.padToken = p.family == SdFamily::Sd2 ? "!" : "<|endoftext|>";
    out.padTokenSource = "family default";
  }
  return out;
}

}  // namespace ns::sd
