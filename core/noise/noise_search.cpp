#include "core/noise/noise_search.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <string>

namespace ns {

at::Tensor NoiseSearch::neighbour(const at::Tensor& pivot, double lambda, at::Generator& gen) {
  const at::Tensor n = pivot.to(at::kCPU, at::kDouble).reshape({-1});
  const double norm = n.norm().item<double>();
  TORCH_CHECK(norm > 0, "NoiseSearch::neighbour: pivot is all zeros");
  const at::Tensor u = n / norm;
  at::Tensor w;
  for (int attempt = 0; attempt < 8; ++attempt) {
    const at::Tensor r = at::randn({n.numel()}, gen, at::TensorOptions().dtype(at::kDouble));
    w = r - (r * u).sum() * u;
    if (w.norm().item<double>() > 1e-12) break;  // r parallel to u: draw again (measure zero)
  }
  w = w / w.norm();
  const at::Tensor out = norm * (lambda * u + std::sqrt(std::max(0.0, 1.0 - lambda * lambda)) * w);
  return out.reshape(pivot.sizes()).to(pivot.device(), pivot.scalar_type());
}

Result<double> NoiseSearch::evaluate(const at::Tensor& noise, const VerifierQuery& query) {
  try {
    at::Tensor images = m_render(noise);
    if (!images.defined() || images.numel() == 0) {
      return makeError(ErrorKind::Model, "noise search: the renderer returned no image");
    }
    if (images.dim() == 3) images = images.unsqueeze(0);
    const at::Tensor s = m_verifier.score(images, query);
    const double v = s.to(at::kDouble).mean().item<double>();
    if (!std::isfinite(v)) {
      return makeError(ErrorKind::Model, "noise search: verifier '" + m_verifier.name() + "' gave a non-finite score");
    }
    return v;
  } catch (const c10::Error& e) {
    return makeError(ErrorKind::Model, std::string("noise search: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return makeError(ErrorKind::Model, std::string("noise search: ") + e.what());
  }
}

Result<NoiseSearchResult> NoiseSearch::run(const std::vector<int64_t>& shape, const VerifierQuery& query,
                                           const NoiseSearchOptions& o, JobContext& ctx) {
  if (shape.empty()) return makeError(ErrorKind::BadInput, "noise search: empty noise shape");
  if (o.mode == SearchMode::RandomSearch && o.candidates < 1) {
    return makeError(ErrorKind::BadInput, "noise search: candidates must be at least 1");
  }
  if (o.mode == SearchMode::ZeroOrder && (o.iterations < 1 || o.neighbours < 1 || !(o.lambda > -1 && o.lambda < 1))) {
    return makeError(ErrorKind::BadInput, "noise search: zero-order needs iterations >= 1, neighbours >= 1 and "
                                          "-1 < lambda < 1");
  }
  if (o.mode != SearchMode::RandomSearch && o.mode != SearchMode::ZeroOrder) {
    return makeError(ErrorKind::BadInput, "noise search: unknown search mode");
  }
  const int rangeEnd = o.rangeEnd < 0 ? o.candidates : o.rangeEnd;
  const bool ranged = o.rangeBegin != 0 || o.rangeEnd >= 0;
  if (ranged && o.mode != SearchMode::RandomSearch) {
    return makeError(ErrorKind::BadInput, "noise search: a candidate range needs the random (best-of-N) mode");
  }
  if (ranged && !(o.rangeBegin >= 0 && o.rangeBegin < rangeEnd && rangeEnd <= o.candidates)) {
    return makeError(ErrorKind::BadInput, "noise search: candidate range " + std::to_string(o.rangeBegin) + ":" +
                                              std::to_string(rangeEnd) + " is not inside 0:" +
                                              std::to_string(o.candidates));
  }
  at::Generator gen = at::detail::createCPUGenerator(o.seed);
  NoiseSearchResult res;
  res.firstIndex = ranged ? o.rangeBegin : 0;
  // Upper bound for progress (FreshPivot may add one candidate per round).
  const int total = o.mode == SearchMode::RandomSearch
                        ? rangeEnd - res.firstIndex
                        : 1 + o.iterations * (o.neighbours + (o.onNoImprovement == NoImprovement::FreshPivot ? 1 : 0));
  auto score = [&](const at::Tensor& noise) -> Result<double> {
    if (ctx.cancelled()) return makeError(ErrorKind::Cancelled, "noise search cancelled");
    Result<double> s = evaluate(noise, query);
    if (!s.ok()) return s;
    res.scores.push_back(s.value());
    if (res.bestIndex < 0 || s.value() > res.bestScore) {
      res.bestScore = s.value();
      res.bestIndex = int(res.scores.size()) - 1;
      res.bestNoise = noise;
    }
    if (!ctx.report(int(res.scores.size()), total, "search")) {
      return makeError(ErrorKind::Cancelled, "noise search cancelled");
    }
    return s;
  };
  auto fresh = [&] { return at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat)); };

  if (o.mode == SearchMode::RandomSearch) {
    for (int i = 0; i < rangeEnd; ++i) {
      at::Tensor noise = fresh();     // drawn for every index, so candidate i is the same noise in any range
      if (i < res.firstIndex) continue;
      Result<double> s = score(noise);
      if (!s.ok()) return s.error();
    }
  } else {
    at::Tensor pivot = fresh();
    Result<double> ps = score(pivot);
    if (!ps.ok()) return ps.error();
    double pivotScore = ps.value();
    res.pivotScores.push_back(pivotScore);
    for (int it = 0; it < o.iterations; ++it) {
      at::Tensor bestN;
      double bestNScore = 0;
      for (int k = 0; k < o.neighbours; ++k) {
        at::Tensor n = neighbour(pivot, o.lambda, gen);
        Result<double> s = score(n);
        if (!s.ok()) return s.error();
        if (!bestN.defined() || s.value() > bestNScore) {
          bestN = n;
          bestNScore = s.value();
        }
      }
      if (bestNScore > pivotScore) {
        pivot = bestN;
        pivotScore = bestNScore;
      } else if (o.onNoImprovement == NoImprovement::FreshPivot) {
        pivot = fresh();
        Result<double> s = score(pivot);
        if (!s.ok()) return s.error();
        pivotScore = s.value();
      }
      res.pivotScores.push_back(pivotScore);
    }
  }
  spdlog::info("noise search ({}): {} candidates, best {:.4f} at #{}", m_verifier.name(), res.scores.size(),
               res.bestScore, res.firstIndex + res.bestIndex);
  return res;
}

}  // namespace ns
