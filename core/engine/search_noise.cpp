// search: NoiseSearch (best-of-N or zero-order, docs/algorithms.md §6.2) over starting noises, each
// rendered by DDIM and scored by the model's verifier against the prompt.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "core/diffusion/ddim_sampler.h"
#include "core/diffusion/noise_schedule.h"
#include "core/engine/engine_common.h"
#include "core/engine/noise_verbs.h"
#include "core/model/verifier.h"
#include "core/noise/noise_search.h"

namespace ns {

Result<SearchNoiseResult> searchNoise(ModelBundle& model, const SearchNoiseRequest& req, JobContext& ctx) {
  if (!model.valid()) return makeError(ErrorKind::Model, "no model is loaded");
  if (!model.verifier)
    return makeError(ErrorKind::Model, "the model '" + model.sourcePath + "' has no verifier; noise search needs one");
  if (req.prompt.empty()) return makeError(ErrorKind::BadInput, "search needs a prompt (what the verifier checks)");
  if (req.steps < 1 || req.steps > 1000) return makeError(ErrorKind::BadInput, "steps must be between 1 and 1000");
  if (req.cfg < 0 || req.cfg > 50) return makeError(ErrorKind::BadInput, "guidance (cfg) must be between 0 and 50");
  if (req.method == NoiseSearchMethod::Random && (req.candidates < 1 || req.candidates > 4096))
    return makeError(ErrorKind::BadInput, "candidates must be between 1 and 4096");
  if (req.method == NoiseSearchMethod::ZeroOrder) {
    if (req.iterations < 1 || req.iterations > 1000) return makeError(ErrorKind::BadInput, "iterations must be between 1 and 1000");
    if (req.neighbours < 1 || req.neighbours > 256) return makeError(ErrorKind::BadInput, "neighbours must be between 1 and 256");
    if (!(req.lambda > -1 && req.lambda < 1)) return makeError(ErrorKind::BadInput, "lambda must be in (-1, 1)");
  }
  if (req.method == NoiseSearchMethod::Invalid) return makeError(ErrorKind::BadInput, "unknown search method");
  return engine::guarded("search", [&]() -> Result<SearchNoiseResult> {
    c10::InferenceMode guard;
    const DenoiserInfo& info = model.denoiser->info();
    auto schedule = NoiseSchedule::fromConfig(info.schedule);
    if (!schedule.ok()) return schedule.error();
    auto prompts = engine::encodePrompts(model, req.prompt, req.negativePrompt);
    if (!prompts.ok()) return prompts.error();
    const std::vector<int64_t> ts = schedule->timesteps(req.steps);

    // Every render is kept (they are small) so the best image need not be rendered twice.
    std::vector<at::Tensor> renders;
    JobContext inner;  // per-candidate DDIM progress would drown the per-candidate "search" progress
    auto render = [&](const at::Tensor& noise) -> at::Tensor {
      if (ctx.cancelled()) inner.cancel();
      auto latents = sampleDdim(*model.denoiser, *schedule, noise.to(at::Device(model.device)), ts, prompts->cond,
                                prompts->uncond, req.cfg, 0.0, nullptr, inner);
      if (!latents.ok()) throw std::runtime_error(latents.error().message);
      at::Tensor images = model.codec->decode(*latents);
      renders.push_back(images.to(at::kCPU));
      return images;
    };
    NoiseSearchOptions opt;
    opt.mode = req.method == NoiseSearchMethod::ZeroOrder ? SearchMode::ZeroOrder : SearchMode::RandomSearch;
    opt.candidates = req.candidates;
    opt.iterations = req.iterations;
    opt.neighbours = req.neighbours;
    opt.lambda = req.lambda;
    opt.seed = req.seed;
    opt.rangeBegin = req.rangeBegin;
    opt.rangeEnd = req.rangeEnd;
    VerifierQuery query;
    query.prompt = req.prompt;
    NoiseSearch search(render, *model.verifier);
    const int64_t lat = info.sampleSize;
    auto res = search.run({1, info.channels, lat, lat}, query, opt, ctx);
    if (!res.ok()) return res.error();

    SearchNoiseResult out;
    out.scores = res->scores;
    out.bestIndex = res->bestIndex;
    out.firstIndex = res->firstIndex;
    out.bestScore = res->bestScore;
    out.firstScore = res->scores.empty() ? 0.0 : res->scores.front();
    out.noise = res->bestNoise.to(at::kCPU);
    out.verifier = model.verifier->name();
    out.notes = prompts->notes;
    if (renders.size() == res->scores.size() && res->bestIndex >= 0) {
      out.image = renders[size_t(res->bestIndex)];
    } else {  // defensive: the search rendered something it did not score; re-render the winner
      out.image = render(res->bestNoise).to(at::kCPU);
    }
    spdlog::info("search: {} candidates, best #{} score {:.4f} (first {:.4f})", out.scores.size(), out.firstIndex + out.bestIndex,
                 out.bestScore, out.firstScore);
    return out;
  });
}

}  // namespace ns
