#pragma once
// NoiseSearch: inference-time search over starting noises (docs/algorithms.md §6.2), generic over a
// render function (noise -> images) and a Verifier (images -> scores, higher is better).
//  - RandomSearch: best-of-N fresh noises.
//  - ZeroOrder: a pivot and K neighbours on the sphere of the pivot's norm at cosine λ; the best
//    neighbour replaces the pivot when it scores higher; otherwise the pivot stays (KeepPivot, so
//    pivot scores never decrease) or a fresh random pivot is drawn (FreshPivot, tt-scale-flux).
// Every evaluated candidate's score is returned in evaluation order with the best noise.
// Noise is drawn from a generator seeded by options.seed (on CPU, float32, then handed to render).
// Thread: run() executes on the calling thread; render and the verifier are called from it.
// Cancel and progress ("search", one step per candidate) go through the JobContext.

#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "core/jobs/job_context.h"
#include "core/model/verifier.h"
#include "core/util/result.h"

namespace ns {

// Search strategy.
enum class SearchMode {
  Invalid = 0,
  RandomSearch,  // best of `candidates` fresh noises
  ZeroOrder,     // pivot + neighbours for `iterations` rounds
};

// What zero-order search does when no neighbour beats the pivot.
enum class NoImprovement {
  Invalid = 0,
  KeepPivot,   // keep the pivot, draw new neighbours next round
  FreshPivot,  // replace the pivot with a fresh random noise (scored as one more candidate)
};

struct NoiseSearchOptions {
  SearchMode mode = SearchMode::RandomSearch;
  int candidates = 8;       // RandomSearch: number of noises
  int iterations = 4;       // ZeroOrder: rounds of neighbours
  int neighbours = 4;       // ZeroOrder: K per round
  double lambda = 0.95;     // ZeroOrder: cosine between the pivot and each neighbour
  NoImprovement onNoImprovement = NoImprovement::KeepPivot;
  uint64_t seed = 0;
  // RandomSearch: score only candidates [rangeBegin, rangeEnd) of the N (rangeEnd < 0 = N). Candidate i
  // is still the i-th draw of the seeded generator (earlier draws are made and dropped), so a range
  // scores exactly what the full search scores for those indices: a farm splits one search over tasks.
  int rangeBegin = 0;
  int rangeEnd = -1;
};

struct NoiseSearchResult {
  at::Tensor bestNoise;             // the highest-scoring noise (shape as requested)
  double bestScore = 0;
  int bestIndex = -1;               // index into scores
  int firstIndex = 0;               // candidate index of scores[0] (rangeBegin; 0 for a full search)
  std::vector<double> scores;       // every evaluated candidate, in evaluation order
  std::vector<double> pivotScores;  // ZeroOrder: the initial pivot's score, then the pivot's after each round
};

class NoiseSearch {
 public:
  // render: noise -> images [B,3,H,W] (or [3,H,W]) in [-1,1]; a candidate's score is the mean of
  // the verifier's B scores. render may throw; that ends the search with an error.
  using RenderFn = std::function<at::Tensor(const at::Tensor& noise)>;

  NoiseSearch(RenderFn render, Verifier& verifier) : m_render(std::move(render)), m_verifier(verifier) {}

  Result<NoiseSearchResult> run(const std::vector<int64_t>& noiseShape, const VerifierQuery& query,
                                const NoiseSearchOptions& options, JobContext& ctx);

  // A neighbour of `pivot` with the same norm and cosine λ to it (float64 maths, pivot's dtype):
  // n' = ‖n‖(λu + sqrt(1−λ²)w), u = n/‖n‖, w ⟂ u a random unit direction.
  static at::Tensor neighbour(const at::Tensor& pivot, double lambda, at::Generator& gen);

 private:
  Result<double> evaluate(const at::Tensor& noise, const VerifierQuery& query);

  RenderFn m_render;
  Verifier& m_verifier;
};

}  // namespace ns
