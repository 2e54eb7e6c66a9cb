#include "core/diffusion/edit_friendly_inversion.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/util/Exception.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <exception>
#include <string>

namespace ns {

namespace {

Error modelError(const char* where, const std::exception& e) {
  const auto* c10e = dynamic_cast<const c10::Error*>(&e);
  const std::string what = c10e ? c10e->what_without_backtrace() : e.what();
  spdlog::error("{}: {}", where, what);
  return makeError(ErrorKind::Model, std::string("the model failed during ") + where + ": " + what);
}

const char* kEtaZeroMessage =
    "edit-friendly inversion needs eta > 0 (with eta = 0 the noise maps z_k = (x_{k-1} - mu_k)/(eta*sigma_k) are "
    "undefined); use DDIM inversion (DdimInversion) for eta = 0";

// Mask → a tensor that broadcasts against a state of x's rank.
Result<at::Tensor> prepareMask(const at::Tensor& mask, const at::Tensor& like) {
  if (mask.dim() < 2 || mask.size(-1) != like.size(-1) || mask.size(-2) != like.size(-2)) {
    return makeError(ErrorKind::BadInput, "edit mask must end in the latent size [" + std::to_string(like.size(-2)) +
                                              "," + std::to_string(like.size(-1)) + "]");
  }
  at::Tensor m = mask.to(like.device(), like.scalar_type());
  while (m.dim() < like.dim()) m = m.unsqueeze(0);
  if (m.dim() > like.dim()) return makeError(ErrorKind::BadInput, "edit mask has more dimensions than the latent");
  for (int64_t d = 0; d < m.dim(); ++d) {
    if (m.size(d) != 1 && m.size(d) != like.size(d)) {
      return makeError(ErrorKind::BadInput, "edit mask shape " + c10::str(m.sizes()) +
                                                " does not broadcast to the latent " + c10::str(like.sizes()));
    }
  }
  return m;
}

}  // namespace

double EditFriendlyInversion::sigma(double a, double aPrev) { return std::sqrt(ddimVariance(a, aPrev)); }

at::Tensor EditFriendlyInversion::mean(const PredictionPair& pred, double aPrev, double eta, double sigma) {
  // The reference puts η·σ² (not η²·σ²) under the root; same for η ∈ {0, 1} (§1.6).
  const double dirCoef = std::sqrt(std::max(0.0, 1.0 - aPrev - eta * sigma * sigma));
  return pred.x0 * std::sqrt(aPrev) + pred.eps * dirCoef;
}

at::Tensor EditFriendlyInversion::reverseStep(const PredictionPair& pred, double aPrev, double eta, double sigma,
                                              const at::Tensor& z) {
  const at::Tensor mu = mean(pred, aPrev, eta, sigma);
  if (!z.defined() || eta * sigma == 0.0) return mu;
  return mu + z * (eta * sigma);
}

Result<InversionResult> EditFriendlyInversion::invert(const at::Tensor& x0, const Conditioning& cond,
                                                      const Conditioning& uncond, const EditFriendlyInvertOptions& o,
                                                      JobContext& ctx) {
  if (!x0.defined() || !at::isFloatingType(x0.scalar_type()) || (x0.dim() != 4 && x0.dim() != 5)) {
    return makeError(ErrorKind::BadInput, "edit-friendly inversion: x0 must be a float tensor [B,C,H,W] or [B,C,F,H,W]");
  }
  const std::vector<int64_t> ts = m_schedule->timesteps(o.steps);
  if (ts.empty()) {
    return makeError(ErrorKind::BadInput, "edit-friendly inversion: steps must be in [1, " +
                                              std::to_string(m_schedule->trainSteps()) + "] (got " +
                                              std::to_string(o.steps) + ")");
  }
  const int T = int(ts.size());
  InversionResult r;
  r.timesteps = ts;
  r.eta = o.eta;
  r.cfgScale = o.cfgScale;
  r.seed = o.seed;
  r.firstNoiseZeroed = o.zeroFirstNoise;
  if (!o.etaPerStep.empty() && int(o.etaPerStep.size()) != T) {
    return makeError(ErrorKind::BadInput, "edit-friendly inversion: etaPerStep has " +
                                              std::to_string(o.etaPerStep.size()) + " values for " +
                                              std::to_string(T) + " steps");
  }
  r.etas = o.etaPerStep.empty() ? std::vector<double>(size_t(T), o.eta) : o.etaPerStep;
  for (double e : r.etas) {
    if (!(e > 0.0)) return makeError(ErrorKind::BadInput, kEtaZeroMessage);
  }
  r.alphaBars.resize(size_t(T) + 1);
  r.alphaBars[0] = m_schedule->finalAlphaBar();
  for (int k = 1; k <= T; ++k) r.alphaBars[size_t(k)] = m_schedule->alphaBar(ts[size_t(T - k)]);
  r.sigmas.resize(size_t(T));
  for (int k = 1; k <= T; ++k) r.sigmas[size_t(k - 1)] = sigma(r.alphaBars[size_t(k)], r.alphaBars[size_t(k - 1)]);

  try {
    Guidance g;
    g.scale = o.cfgScale;
    auto pred = GuidedPredictor::create(*m_model, cond, uncond, g, x0.size(0));
    if (!pred.ok()) return pred.error();
    c10::NoGradGuard noGrad;

    // 1. Auxiliary path: every x_k drawn independently from q(x_k | x0) (not a Markov chain).
    //    Drawn on the CPU from the seeded generator so every device gets the same path.
    std::vector<int64_t> stackShape{int64_t(T)};
    for (int64_t s : x0.sizes()) stackShape.push_back(s);
    at::Generator gen = at::detail::createCPUGenerator(o.seed);
    const at::Tensor noise =
        at::randn(stackShape, gen, at::TensorOptions().dtype(at::kFloat)).to(x0.device(), x0.scalar_type());
    std::vector<int64_t> xtsShape = stackShape;
    xtsShape[0] = T + 1;
    r.xts = at::empty(xtsShape, x0.options());
    r.xts[0].copy_(x0);
    for (int k = 1; k <= T; ++k) r.xts[k].copy_(qSample(x0, noise[k - 1], r.alphaBars[size_t(k)]));
    r.zs = at::empty(stackShape, x0.options());

    // 2. From the noisiest level down: extract z_k and overwrite x_{k−1} with μ_k + η·σ·z_k, which
    //    is the identity in exact arithmetic but makes the next model input the value the reverse
    //    pass will actually hold (removes rounding drift).
    bool warnedSigmaZero = false;
    for (int k = T; k >= 1; --k) {
      if (ctx.cancelled()) return makeError(ErrorKind::Cancelled, "inversion cancelled");
      const double aPrev = r.alphaBars[size_t(k - 1)];
      const double eta = r.etas[size_t(k - 1)], sig = r.sigmas[size_t(k - 1)];
      const PredictionPair pp = pred->predict(r.xts[k], ts[size_t(T - k)], r.alphaBars[size_t(k)]);
      const at::Tensor mu = mean(pp, aPrev, eta, sig);
      if (eta * sig == 0.0) {
        // ᾱ does not change over this step (e.g. final ᾱ = 1 or τ_1 = 0): the step is
        // deterministic, so no noise map exists; the path follows μ.
        if (!warnedSigmaZero) spdlog::warn("edit-friendly inversion: sigma_{} = 0, that step is deterministic", k);
        warnedSigmaZero = true;
        r.zs[k - 1].zero_();
        r.xts[k - 1].copy_(mu);
      } else {
        const at::Tensor z = (r.xts[k - 1] - mu) / (eta * sig);
        r.zs[k - 1].copy_(z);
        r.xts[k - 1].copy_(mu + z * (eta * sig));
      }
      if (!ctx.report(T - k + 1, T, "invert") && k > 1) {
        return makeError(ErrorKind::Cancelled, "inversion cancelled");
      }
    }
    if (o.zeroFirstNoise) r.zs[0].zero_();
    r.xT = r.xts[T];
    return r;
  } catch (const std::exception& e) {
    return modelError("edit-friendly inversion", e);
  }
}

Result<at::Tensor> EditFriendlyInversion::reverse(const InversionResult& inv, const Conditioning& cond,
                                                  const Conditioning& uncond, const EditFriendlyReverseOptions& o,
                                                  JobContext& ctx) {
  const int T = inv.steps();
  if (T < 1 || !inv.xts.defined() || inv.xts.size(0) != T + 1 || int(inv.alphaBars.size()) != T + 1 ||
      int(inv.sigmas.size()) != T || int(inv.etas.size()) != T) {
    return makeError(ErrorKind::BadInput, "edit-friendly reverse: the inversion result is incomplete or inconsistent");
  }
  if (inv.zs.defined() && (inv.zs.size(0) != T || inv.zs.sizes().slice(1) != inv.xts.sizes().slice(1))) {
    return makeError(ErrorKind::BadInput, "edit-friendly reverse: zs does not match xts");
  }
  if (o.skip < 0 || o.skip >= T) {
    return makeError(ErrorKind::BadInput, "edit-friendly reverse: skip must be in [0, " + std::to_string(T - 1) +
                                              "] (got " + std::to_string(o.skip) + ")");
  }
  if (o.etaOverride == 0.0) return makeError(ErrorKind::BadInput, kEtaZeroMessage);
  if (o.mask.defined() != (o.sourcePath != nullptr)) {
    return makeError(ErrorKind::BadInput, "edit-friendly reverse: a region edit needs both a mask and the source path");
  }
  if (o.sourcePath && o.sourcePath->xts.sizes() != inv.xts.sizes()) {
    return makeError(ErrorKind::BadInput, "edit-friendly reverse: the source path has shape " +
                                              c10::str(o.sourcePath->xts.sizes()) + ", the edited one " +
                                              c10::str(inv.xts.sizes()));
  }
  const int64_t B = inv.xts.size(1);
  const int64_t P = cond.context.defined() ? cond.context.size(0) : 1;
  int64_t rows = B;
  if (P != 1 && P != B) {
    if (B != 1) {
      return makeError(ErrorKind::BadInput, "edit-friendly reverse: prompt batch " + std::to_string(P) +
                                                " does not fit " + std::to_string(B) + " inverted rows");
    }
    rows = P;
  }
  const int start = T - o.skip;  // k of the first state
  try {
    Guidance g;
    g.scale = o.cfgScale;
    g.perRow = o.cfgPerRow;
    auto pred = GuidedPredictor::create(*m_model, cond, uncond, g, rows);
    if (!pred.ok()) return pred.error();
    c10::NoGradGuard noGrad;

    auto broadcastRows = [&](const at::Tensor& t) {
      if (rows == B) return t;
      std::vector<int64_t> rep(size_t(t.dim()), 1);
      rep[0] = rows;
      return t.repeat(rep);
    };
    at::Tensor x = broadcastRows(inv.xts[start]);
    at::Tensor mask;
    if (o.mask.defined()) {
      auto m = prepareMask(o.mask, x);
      if (!m.ok()) return m.error();
      mask = m.value();
      x = x * mask + o.sourcePath->xts[start] * (1.0 - mask);
    }
    at::Generator fresh = at::detail::createCPUGenerator(o.freshNoiseSeed);
    const int total = start;
    for (int k = start; k >= 1; --k) {
      if (ctx.cancelled()) return makeError(ErrorKind::Cancelled, "edit cancelled");
      const double eta = o.etaOverride > 0.0 ? o.etaOverride : inv.etas[size_t(k - 1)];
      const PredictionPair pp = pred->predict(x, inv.timesteps[size_t(T - k)], inv.alphaBars[size_t(k)]);
      at::Tensor z;
      if (inv.zs.defined()) {
        z = inv.zs[k - 1];  // the same map for every row (broadcasts when rows > B)
      } else {
        z = at::randn(x.sizes(), fresh, at::TensorOptions().dtype(at::kFloat)).to(x.device(), x.scalar_type());
      }
      x = reverseStep(pp, inv.alphaBars[size_t(k - 1)], eta, inv.sigmas[size_t(k - 1)], z);
      if (mask.defined()) x = x * mask + o.sourcePath->xts[k - 1] * (1.0 - mask);
      if (o.onStep) o.onStep(k, x);
      const int done = start - k + 1;
      if (ctx.wantsPreview()) {
        const at::Tensor preview = o.previewDecode ? o.previewDecode(pp.x0) : pp.x0;
        ctx.report(done, total, "denoise", &preview);
      } else {
        ctx.report(done, total, "denoise");
      }
    }
    return x;
  } catch (const std::exception& e) {
    return modelError("the edit-friendly reverse pass", e);
  }
}

}  // namespace ns
