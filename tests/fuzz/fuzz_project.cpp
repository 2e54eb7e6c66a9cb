// libFuzzer target: the .nsproj loader (core/plan/project.h) — JSON parse, schema migration and
// validation — on arbitrary text, through the file path API like the app uses it. An accepted
// project must save to text that loads back to the same text, and the helpers the renderer calls
// on a loaded project (layout, draw order, prompt, the edit mask's raster) must not crash.
#include <algorithm>

#include "core/plan/project.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nsfuzz::quietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = nsfuzz::scratchPath(".nsproj");
  nsfuzz::writeFile(path, data, size);
  ns::Project p;
  const std::string before = p.toJsonText();
  auto loaded = p.load(path);
  if (!loaded.ok()) {
    if (p.toJsonText() != before) nsfuzz::fail("a failed load changed the project");
    return 0;
  }
  const std::string text = p.toJsonText();
  auto again = ns::Project::fromJsonText(text);
  if (!again.ok()) nsfuzz::fail("saved text of an accepted project does not load: " + again.error().message);
  if (again->toJsonText() != text) nsfuzz::fail("save/load round trip changed the project");
  (void)ns::fullPrompt(p);
  (void)p.drawOrder();
  for (int f = 0; f < p.frames && f < 64; ++f) (void)p.layoutAt(f);
  (void)p.layoutAt(-1.5);
  (void)p.layoutAt(double(p.frames) + 0.5);
  // The edit mask as the window's overlay and re-render rasterise it (small sizes keep it fast).
  if (p.inversion.mask.active()) (void)p.inversion.mask.rasterizeFrames(24, 16, std::min(p.frames, 4));
  return 0;
}
