// libFuzzer target: the farm batch file parser (core/farm/farm_batch.h) — JSON, every key's type
// and range, unknown keys — on arbitrary text (parse only: nothing is submitted or opened).
// An accepted batch must write canonical text that parses back to the same text, and plan
// without crashing (with its render jobs given frames, as the submitter does).
#include "core/farm/farm_batch.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nsfuzz::quietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto spec = ns::farm::parseBatch(text, "fuzz.json", "/base dir");
  if (!spec.ok()) {
    if (spec.error().message.rfind("fuzz.json", 0) != 0) nsfuzz::fail("error does not name the file: " + spec.error().message);
    return 0;
  }
  const std::string canon = spec->toJson();
  auto again = ns::farm::parseBatch(canon, "canon.json", "/elsewhere");
  if (!again.ok()) nsfuzz::fail("canonical text of an accepted batch does not parse: " + again.error().message);
  if (again->toJson() != canon) nsfuzz::fail("canonical round trip changed the batch");
  for (auto& job : spec->jobs) job.frames = 1 + int(job.name.size() % 7);
  ns::farm::BatchSettings s;
  s.outDir = "/out";
  s.cli = "/usr/bin/noisestudio-cli";
  auto plan = ns::farm::planBatch(*spec, s);
  if (plan.ok()) {
    (void)plan->taskScript();
    for (int j = 0; j < int(plan->spec.jobs.size()); ++j)
      if (plan->gatherFor(j)) (void)plan->gatherScript(j);
    auto back = ns::farm::BatchPlan::fromJson(plan->toJson(), "batch.json");
    if (!back.ok()) nsfuzz::fail("a plan does not read back: " + back.error().message);
    if (back->tasks.size() != plan->tasks.size()) nsfuzz::fail("a plan read back with another task count");
  }
  return 0;
}
