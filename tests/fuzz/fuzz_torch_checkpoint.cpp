// libFuzzer target: the restricted torch checkpoint reader (core/model/checkpoint/torch_checkpoint.h)
// on arbitrary bytes. Inputs that do not start like a zip also go straight to the pickle machine, so
// its opcodes are explored without the zip wrapper in the way. Accepted checkpoints must hold
// contiguous CPU tensors whose every byte is readable (ASan checks the views of the input buffer).
#include <ATen/ATen.h>

#include <cstring>

#include "core/model/checkpoint/pickle_machine.h"
#include "core/model/checkpoint/torch_checkpoint.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nsfuzz::quietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || data[0] != 'P' || data[1] != 'K') {
    auto tree = ns::PickleMachine().run(data, size, "fuzz.pkl");
    if (!tree.ok() && tree.error().message.empty()) nsfuzz::fail("pickle error without a message");
    if (tree.ok() && tree->root >= tree->nodes.size()) nsfuzz::fail("pickle root outside the tree");
  }
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = ns::parseTorchCheckpoint(bytes, "fuzz.ckpt");
  if (!parsed.ok()) {
    if (parsed.error().message.empty()) nsfuzz::fail("error without a message");
    return 0;
  }
  if (parsed->empty()) nsfuzz::fail("accepted a checkpoint without tensors");
  for (const auto& [name, t] : *parsed) {
    if (!t.defined() || !t.device().is_cpu()) nsfuzz::fail("tensor " + name + " is undefined or not on the CPU");
    if (!t.is_contiguous()) nsfuzz::fail("tensor " + name + " is not contiguous");
    // Touch every byte: a view reaching past its storage shows up as an ASan report here.
    const auto* p = static_cast<const uint8_t*>(t.data_ptr());
    uint8_t sum = 0;
    for (size_t i = 0; i < t.nbytes(); ++i) sum = uint8_t(sum + p[i]);
    volatile uint8_t sink = sum;
    (void)sink;
  }
  return 0;
}
