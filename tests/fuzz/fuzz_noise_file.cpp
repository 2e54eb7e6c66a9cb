// libFuzzer target: the .nsnoise loader (core/engine/inverted_noise.h: safetensors + "noisestudio"
// JSON metadata) through its path API, then the model check the edit verb runs next.
#include <ATen/ATen.h>

#include "core/engine/inverted_noise.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nsfuzz::quietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = nsfuzz::scratchPath(".nsnoise");
  nsfuzz::writeFile(path, data, size);
  auto noise = ns::loadNoiseFile(path);
  if (!noise.ok()) {
    if (noise.error().message.empty()) nsfuzz::fail("error without a message");
    return 0;
  }
  ns::ScheduleConfig schedule;
  auto match = ns::checkNoiseMatchesModel(path, *noise, noise->modelId, noise->schedule, 4, 16);
  (void)match;
  (void)schedule;
  if (noise->frames() <= 0 && noise->xT.numel() > 0) nsfuzz::fail("noise with data but no frames");
  return 0;
}
