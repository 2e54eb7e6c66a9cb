// libFuzzer target: the two model.json parsers — model packs (core/model/model_pack_config.h,
// "noisestudio-pack") and the built-in model (core/model/builtin_model_config.h,
// "noisestudio-model") — on arbitrary text. Both run on every input: the corpus holds both kinds.
#include <nlohmann/json.hpp>

#include "core/model/builtin_model_config.h"
#include "core/model/model_pack_config.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nsfuzz::quietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Same parse call as the loaders (loadModelPack, loadBuiltinModel): no exceptions.
  const nlohmann::json root = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return 0;
  auto pack = ns::parseModelPackConfig(root, "model.json");
  if (!pack.ok() && pack.error().message.empty()) nsfuzz::fail("pack error without a message");
  auto builtin = ns::parseBuiltinModelConfig(root, "model.json");
  if (!builtin.ok() && builtin.error().message.empty()) nsfuzz::fail("builtin error without a message");
  auto cls = ns::parseBuiltinClassifierConfig(root, "model.json");
  if (!cls.ok() && cls.error().message.empty()) nsfuzz::fail("classifier error without a message");
  return 0;
}
