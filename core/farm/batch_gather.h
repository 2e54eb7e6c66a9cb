#pragma once
// The gather step of a farm batch job, for the kinds that need no pixels: a search's best
// candidate over its ranges, and an `eval layout` sweep's table over its α tasks. (A render job's
// gather assembles a video, which needs the media code: the CLI does that one.)
// Pure functions on the tasks' --json answers, plus one that reads and writes the job's files.

#include <string>
#include <vector>

#include "core/farm/farm_batch.h"
#include "core/util/result.h"

namespace ns::farm {

struct SearchGather {
  int bestPart = 0;      // which part holds the best candidate (its PNG is the result)
  std::string bestJson;  // best.json: what a local `search --json` prints, plus "candidates" and "parts"
};
// `parts`: the --json answers of candidates [begin, end) each, in range order. The gathered best is
// the first strict maximum over the ranges in order, as the full search picks it; the scores are
// checked to cover 0..candidates-1 once. `names` name the parts in errors.
Result<SearchGather> gatherSearch(const std::vector<std::string>& parts, const std::vector<std::string>& names,
                                  const std::vector<std::pair<int, int>>& ranges, const std::string& bestPng);

struct EvalTable {
  std::string json;      // table.json: `eval layout --json`'s shape with every α's row
  std::string markdown;  // table.md: the table `eval layout` prints
};
// `parts`: the --json answers of `eval layout --ratios α_k` in the batch's ratio order. The plain
// (α = 1) baseline is the same in every part (same layouts and seeds); the first part's is kept.
Result<EvalTable> gatherEval(const std::vector<std::string>& parts, const std::vector<std::string>& names,
                             const std::vector<double>& ratios);

// Runs the gather of job `job` (search or eval-layout) from its parts in OUT, writing its outputs
// (best.png then best.json; table.md then table.json) atomically. Returns the files written.
Result<std::vector<std::string>> gatherBatchJob(const BatchPlan& plan, int job);

}  // namespace ns::farm
