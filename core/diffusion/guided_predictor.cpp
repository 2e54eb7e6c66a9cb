#include "core/diffusion/guided_predictor.h"

#include <ATen/ATen.h>

#include <string>

namespace ns {

namespace {

// Conditioning::repeat/cat live in ns_core_model, which links after this module; the few tensor
// ops are repeated here so core/diffusion only needs the model headers.
int64_t condBatch(const Conditioning& c) { return c.context.defined() ? c.context.size(0) : 0; }

Result<Conditioning> toRows(const Conditioning& c, int64_t rows, const char* what) {
  if (!c.context.defined()) return Conditioning{};
  const int64_t b = condBatch(c);
  if (b == rows) return c;
  if (b == 1) return Conditioning{c.context.repeat_interleave(rows, 0)};
  return makeError(ErrorKind::BadInput, std::string(what) + " conditioning has batch " + std::to_string(b) +
                                            " but the sample has " + std::to_string(rows) + " rows (expected 1 or " +
                                            std::to_string(rows) + ")");
}

}  // namespace

Result<GuidedPredictor> GuidedPredictor::create(Denoiser& model, const Conditioning& cond, const Conditioning& uncond,
                                                const Guidance& guidance, int64_t rows) {
  const PredictionType p = model.info().prediction;
  if (p != PredictionType::Epsilon && p != PredictionType::VPrediction && p != PredictionType::Sample) {
    return makeError(ErrorKind::Model, "model '" + model.info().id + "' has an invalid prediction type");
  }
  if (rows < 1) return makeError(ErrorKind::BadInput, "the sample has no rows");
  if (!guidance.perRow.empty() && int64_t(guidance.perRow.size()) != 1 && int64_t(guidance.perRow.size()) != rows) {
    return makeError(ErrorKind::BadInput, "guidance has " + std::to_string(guidance.perRow.size()) +
                                              " per-row scales for " + std::to_string(rows) + " rows");
  }
  GuidedPredictor g(model);
  g.m_guidance = guidance;
  g.m_rows = rows;
  if (guidance.perRow.empty()) {
    g.m_guided = guidance.scale != 1.0;
  } else {
    for (double w : guidance.perRow) g.m_guided = g.m_guided || w != 1.0;
  }
  auto c = toRows(cond, rows, "prompt");
  if (!c.ok()) return c.error();
  g.m_cond = c.value();
  if (g.m_guided) {
    auto u = toRows(uncond, rows, "unconditional (negative prompt)");
    if (!u.ok()) return u.error();
    g.m_uncond = u.value();
    if (g.m_cond.context.defined() && g.m_uncond.context.defined()) {
      if (g.m_cond.context.sizes().slice(1) != g.m_uncond.context.sizes().slice(1) ||
          g.m_cond.context.scalar_type() != g.m_uncond.context.scalar_type()) {
        return makeError(ErrorKind::BadInput, "prompt and unconditional conditioning have different shapes or types");
      }
      g.m_both = Conditioning{at::cat({g.m_uncond.context, g.m_cond.context}, 0)};
    }
  }
  return g;
}

at::Tensor GuidedPredictor::callModel(const at::Tensor& x, int64_t t, const Conditioning& c) {
  const at::Tensor tt = at::full({x.size(0)}, t, at::TensorOptions().dtype(at::kLong).device(x.device()));
  at::Tensor out = m_model->predict(x, tt, c);
  ++m_calls;
  if (out.sizes() != x.sizes()) {
    throw std::runtime_error("denoiser '" + m_model->info().id + "' returned shape " + c10::str(out.sizes()) +
                             " for input " + c10::str(x.sizes()));
  }
  return out.scalar_type() == x.scalar_type() ? out : out.to(x.scalar_type());
}

at::Tensor GuidedPredictor::scaleTensor(const at::Tensor& like) {
  if (!m_scaleCache.defined() || m_scaleCache.device() != like.device() || m_scaleCache.dim() != like.dim()) {
    std::vector<float> w(static_cast<size_t>(m_rows));
    for (int64_t r = 0; r < m_rows; ++r) {
      w[size_t(r)] = float(m_guidance.perRow.size() == 1 ? m_guidance.perRow[0] : m_guidance.perRow[size_t(r)]);
    }
    std::vector<int64_t> shape(size_t(like.dim()), 1);
    shape[0] = m_rows;
    m_scaleCache = at::tensor(w).view(shape).to(like.device(), like.scalar_type());
  }
  return m_scaleCache;
}

at::Tensor GuidedPredictor::guidedOutput(const at::Tensor& x, int64_t t) {
  if (x.size(0) != m_rows) {
    throw std::runtime_error("GuidedPredictor: sample has " + std::to_string(x.size(0)) + " rows, expected " +
                             std::to_string(m_rows));
  }
  if (!m_guided) return callModel(x, t, m_cond);
  at::Tensor u, c;
  if (m_both.context.defined()) {
    const at::Tensor both = callModel(at::cat({x, x}, 0), t, m_both);
    u = both.narrow(0, 0, m_rows);
    c = both.narrow(0, m_rows, m_rows);
  } else {  // a model without context tensors: two calls
    u = callModel(x, t, m_uncond);
    c = callModel(x, t, m_cond);
  }
  if (m_guidance.perRow.empty()) return applyCfg(u, c, m_guidance.scale, m_guidance.guidanceRescale);
  return applyCfg(u, c, scaleTensor(c), m_guidance.guidanceRescale);
}

PredictionPair GuidedPredictor::predict(const at::Tensor& x, int64_t t, double alphaBar) {
  return splitPrediction(x, guidedOutput(x, t), m_model->info().prediction, alphaBar);
}

}  // namespace ns
