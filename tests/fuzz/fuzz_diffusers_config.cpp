// libFuzzer target: the config parsing of a diffusers Stable Diffusion folder
// (core/model/sd/diffusers_configs.h) and its name tables (diffusers_unet_names.h,
// diffusers_vae_names.h), from bytes.
// Input: fields separated by NUL bytes, in this order: model_index.json, unet/config.json,
// vae/config.json, text_encoder/config.json, scheduler/scheduler_config.json,
// tokenizer/tokenizer_config.json, tokenizer/special_tokens_map.json (the last two are absent when
// the input has fewer fields), then any number of tensor names. Contract: parseDiffusersConfigs
// returns a Result for every input (errors carry a message); on success each name that maps
// diffusers -> LDM maps back (UNet: to itself; VAE: to a name that maps to the same LDM name,
// since old diffusers spellings such as "query" come back as "to_q").
#include <optional>
#include <string>
#include <vector>

#include "core/model/sd/diffusers_configs.h"
#include "core/model/sd/diffusers_unet_names.h"
#include "core/model/sd/diffusers_vae_names.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nsfuzz::quietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> fields(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) fields.emplace_back();
    else fields.back() += char(data[i]);
  }
  auto field = [&](size_t i) { return i < fields.size() ? fields[i] : std::string(); };
  ns::sd::DiffusersConfigTexts t;
  t.dir = "fuzz";
  t.modelIndex = field(0);
  t.unet = field(1);
  t.vae = field(2);
  t.textEncoder = field(3);
  t.scheduler = field(4);
  if (fields.size() > 5) t.tokenizerConfig = fields[5];
  if (fields.size() > 6) t.specialTokensMap = fields[6];
  auto c = ns::sd::parseDiffusersConfigs(t);
  if (!c.ok()) {
    if (c.error().message.empty()) nsfuzz::fail("error without a message");
    return 0;
  }
  if (c->probe.family == ns::sd::SdFamily::Invalid) nsfuzz::fail("accepted without a family");
  if (c->padToken.empty()) nsfuzz::fail("accepted without a pad token");
  for (size_t i = 7; i < fields.size(); ++i) {
    const std::string& name = fields[i];
    if (auto ldm = ns::sd::diffusersUnetToLdm(name, c->unetLayout)) {
      auto back = ns::sd::ldmUnetToDiffusers(*ldm, c->unetLayout);
      if (!back || *back != name) nsfuzz::fail("UNet name " + name + " -> " + *ldm + " does not map back");
    }
    if (auto ldm = ns::sd::diffusersVaeToLdm(name, c->vaeLayout)) {
      auto back = ns::sd::ldmVaeToDiffusers(*ldm, c->vaeLayout);
      auto again = back ? ns::sd::diffusersVaeToLdm(*back, c->vaeLayout) : std::nullopt;
      if (!again || *again != *ldm) nsfuzz::fail("VAE name " + name + " -> " + *ldm + " does not map back");
    }
  }
  return 0;
}
