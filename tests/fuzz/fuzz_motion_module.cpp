// libFuzzer target: reading an AnimateDiff motion-module file's names and layout
// (core/model/sd/motion_file.h, motion_config.h) from arbitrary bytes: a torch zip checkpoint when
// the input starts with "PK", else safetensors. Every accepted file must describe a buildable
// layout (sorted sites, GroupNorm-able channels, width divisible into the heads, canonical names
// under their sites), and the fit check against a UNet must answer without crashing.
#include <ATen/ATen.h>

#include "core/model/checkpoint/torch_checkpoint.h"
#include "core/model/safetensors.h"
#include "core/model/sd/motion_file.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nsfuzz::quietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  ns::sd::WeightMap stored;
  if (size >= 2 && data[0] == 'P' && data[1] == 'K') {
    auto ck = ns::parseTorchCheckpoint(bytes, "fuzz.ckpt");
    if (!ck.ok()) return 0;
    stored = std::move(*ck);
  } else {
    auto st = ns::parseSafetensors(bytes, "fuzz.safetensors");
    if (!st.ok()) return 0;
    stored = std::move(st->tensors);
  }
  auto f = ns::sd::motionModuleFromWeights(stored, "fuzz.safetensors");
  if (!f.ok()) {
    if (f.error().message.find("fuzz.safetensors") == std::string::npos) nsfuzz::fail("error without the file name");
    return 0;
  }
  const auto& c = f->config;
  if (c.modules.empty() || c.maxFrames < 1 || c.transformerBlocks < 1 || c.attentionBlocks < 1)
    nsfuzz::fail("accepted an empty layout");
  for (size_t i = 0; i < c.modules.size(); ++i) {
    const auto& m = c.modules[i];
    if (m.channels % 32 != 0 || m.innerDim % c.heads != 0) nsfuzz::fail("accepted an unbuildable width");
    if (i > 0 && !(c.modules[i - 1].site < m.site)) nsfuzz::fail("sites not sorted/unique");
  }
  for (const auto& [k, t] : f->weights) {
    bool under = false;
    for (const auto& m : c.modules) under = under || k.rfind(m.site.name() + ".temporal_transformer.", 0) == 0;
    if (!under) nsfuzz::fail("canonical name outside every site: " + k);
  }
  ns::sd::UnetConfig unet;
  unet.modelChannels = c.modules.front().channels;
  unet.channelMult = {1};
  unet.numResBlocks = 1;
  auto fits = ns::sd::checkMotionFitsUnet(c, unet, "fuzz.safetensors", "unet.safetensors");
  if (!fits.ok() && fits.error().message.find("unet.safetensors") == std::string::npos)
    nsfuzz::fail("fit error without the model's name");
  return 0;
}
