// libFuzzer target: the built-in motion-module file (core/model/builtin_motion_sites.h) — a
// safetensors file whose metadata describes it — checked against a built-in UNet's shape from
// arbitrary bytes. The UNet is a tiny one (base 8, one level, one res block: 4 sites), so that a
// valid file fits the fuzzer's 64 KiB inputs (the shipped one is 5 MB); the code path is the
// same. Every accepted file must describe exactly the UNet's sites with their channels, and hold
// every tensor of that layout with its shape and nothing else.
#include <ATen/ATen.h>

#include "core/model/builtin_motion_sites.h"
#include "core/model/safetensors.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nsfuzz::quietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto st = ns::parseSafetensors(bytes, "fuzz.safetensors");
  if (!st.ok()) return 0;
  ns::nn::UNetConfig unet;
  unet.baseChannels = 8;
  unet.mults = {1};
  unet.resBlocks = 1;
  unet.vocabSize = 36;
  ns::sd::WeightMap canonical;
  auto c = ns::parseBuiltinMotionFile(st->metadata, st->tensors, unet, "fuzz.safetensors", &canonical);
  if (!c.ok()) {
    if (c.error().message.find("fuzz.safetensors") == std::string::npos) nsfuzz::fail("error without the file name");
    return 0;
  }
  const auto want = ns::builtinMotionConfig(unet, {c->heads, c->groups, c->maxFrames, c->midBlock,
                                                   c->transformerBlocks, c->attentionBlocks});
  if (c->modules.size() != want.modules.size()) nsfuzz::fail("accepted a layout with other sites");
  for (size_t i = 0; i < want.modules.size(); ++i)
    if (!(c->modules[i].site == want.modules[i].site) || c->modules[i].channels != want.modules[i].channels ||
        c->modules[i].channels % c->groups != 0 || c->modules[i].innerDim % c->heads != 0)
      nsfuzz::fail("accepted an unbuildable module");
  const auto shapes = ns::motionTensorShapes(*c);
  if (shapes.size() != canonical.size()) nsfuzz::fail("accepted extra or missing tensors");
  for (const auto& [name, t] : canonical)
    if (!shapes.count(name) || shapes.at(name) != t.sizes().vec()) nsfuzz::fail("accepted a misshaped tensor");
  return 0;
}
