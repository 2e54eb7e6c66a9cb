// libFuzzer target: the safetensors reader (core/model/safetensors.h) on arbitrary bytes.
// Accepted files must also survive a write/read round trip with the same tensors and metadata.
#include <ATen/ATen.h>

#include "core/model/safetensors.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nsfuzz::quietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = ns::parseSafetensors(bytes, "fuzz.safetensors");
  if (!parsed.ok()) {
    if (parsed.error().message.empty()) nsfuzz::fail("error without a message");
    return 0;
  }
  auto again = ns::serializeSafetensors(parsed->tensors, parsed->metadata);
  if (!again.ok()) nsfuzz::fail("accepted file does not serialize: " + again.error().message);
  auto reread = ns::parseSafetensors(*again, "roundtrip.safetensors");
  if (!reread.ok()) nsfuzz::fail("round trip does not parse: " + reread.error().message);
  if (reread->metadata != parsed->metadata) nsfuzz::fail("round trip changed the metadata");
  if (reread->tensors.size() != parsed->tensors.size()) nsfuzz::fail("round trip changed the tensor count");
  for (const auto& [name, t] : parsed->tensors) {
    auto it = reread->tensors.find(name);
    if (it == reread->tensors.end()) nsfuzz::fail("round trip lost tensor " + name);
    const at::Tensor& u = it->second;
    if (u.scalar_type() != t.scalar_type() || !u.sizes().equals(t.sizes()))
      nsfuzz::fail("round trip changed tensor " + name);
    // Bytewise: NaN payloads must survive too, so no numeric comparison.
    if (t.nbytes() != u.nbytes() || (t.nbytes() && std::memcmp(t.data_ptr(), u.data_ptr(), t.nbytes()) != 0))
      nsfuzz::fail("round trip changed the bytes of tensor " + name);
  }
  return 0;
}
