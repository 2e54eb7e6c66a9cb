// libFuzzer target: the PNG metadata reader (core/media/png_text.h + result_metadata.h: chunk
// walk, CRC checks, size limits, zlib inflation, the JSON envelope and the embedded project),
// as readResultMetadata runs it on a PNG's bytes. Invariants on what it accepts: an embedded
// project is a valid project, a recipe is a JSON object; and writing metadata into any input the
// reader accepts as a PNG reads back exactly.
#include <nlohmann/json.hpp>

#include "core/media/png_text.h"
#include "core/media/result_metadata.h"
#include "core/plan/project.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nsfuzz::quietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ns::media;
  auto r = readPngResultMetadata(data, size, "fuzz.png");
  if (!r.ok()) {
    if (r.error().message.empty()) nsfuzz::fail("error without a message");
    return 0;
  }
  for (const auto& n : r->notes)
    if (n.find("fuzz.png") == std::string::npos) nsfuzz::fail("a note that does not name the file: " + n);
  if (r->metadata) {
    if (r->metadata->kind == ResultKind::Project) {
      if (!ns::Project::fromJsonText(r->metadata->json).ok()) nsfuzz::fail("accepted an invalid embedded project");
    } else if (!nlohmann::json::parse(r->metadata->json, nullptr, false).is_object()) {
      nsfuzz::fail("accepted a recipe that is not a JSON object");
    }
  }
  // Tagging whatever the reader accepted must give a file whose metadata reads back (unless
  // the input's chunk layout is broken, which insertPngText refuses).
  ResultMetadata m = recipeMetadata(R"({"verb":"fuzz","prompt":"p\u00e9","seed":1})");
  auto tagged = insertPngText(std::string(reinterpret_cast<const char*>(data), size), metadataPngText(m), size % 2 == 1);
  if (!tagged.ok()) return 0;
  auto back = readPngResultMetadata(reinterpret_cast<const uint8_t*>(tagged->data()), tagged->size(), "fuzz.png");
  if (!back.ok()) nsfuzz::fail("a tagged PNG no longer reads: " + back.error().message);
  if (!back->metadata || back->metadata->kind != ResultKind::Recipe ||
      nlohmann::json::parse(back->metadata->json) != nlohmann::json::parse(m.json))
    nsfuzz::fail("metadata written into an accepted PNG did not read back");
  return 0;
}
