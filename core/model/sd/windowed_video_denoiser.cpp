#include "core/model/sd/windowed_video_denoiser.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "core/model/sd/motion_module.h"

namespace ns::sd {

namespace {

// All windows' frame indices in order, [W·L] (window-major), for index_select.
at::Tensor flatIndices(const std::vector<std::vector<int64_t>>& windows) {
  std::vector<int64_t> flat;
  for (const auto& w : windows) flat.insert(flat.end(), w.begin(), w.end());
  return at::tensor(flat, at::kLong);
}

// The fusion as matrices over the window-major copies of frames (k = v·L + i is position i of
// window v): gather [W·L, F] has the normalised weight of copy k in column frame(k), so
// values[..., W·L] x gather = fused frames [..., F]; spread [W·L, W·L] = gather x one-hot(frame)ᵀ gives
// every copy its frame's fused value. One small matmul instead of index_add_ (slow along inner dims).
struct FusionMatrices {
  at::Tensor gather, spread;
};
FusionMatrices fusionMatrices(const std::vector<std::vector<int64_t>>& windows, int64_t frames, bool uniform) {
  const auto w = windowFusionWeights(windows, frames, uniform);
  const int64_t copies = int64_t(windows.size() * windows.front().size());
  at::Tensor gather = at::zeros({copies, frames}, at::kFloat), oneHot = at::zeros({copies, frames}, at::kFloat);
  auto g = gather.accessor<float, 2>();
  auto o = oneHot.accessor<float, 2>();
  int64_t k = 0;
  for (size_t v = 0; v < windows.size(); ++v)
    for (size_t i = 0; i < windows[v].size(); ++i, ++k) {
      g[k][windows[v][i]] = w[v][i];
      o[k][windows[v][i]] = 1.0f;
    }
  return {gather, at::matmul(gather, oneHot.t())};
}

// Owns the motion modules' attention hook for one call; clears it on every exit path.
struct HookScope {
  MotionModules& motion;
  HookScope(MotionModules& m, TemporalAttentionHook h) : motion(m) { motion.setAttentionHook(std::move(h)); }
  ~HookScope() { motion.setAttentionHook({}); }
};

}  // namespace

WindowedVideoDenoiser::WindowedVideoDenoiser(std::shared_ptr<VideoDenoiser> video, ContextWindowOptions options,
                                             Fusion fusion)
    : m_video(std::move(video)), m_options(options), m_fusion(fusion) {
  TORCH_CHECK(m_video, "WindowedVideoDenoiser: no video model");
  TORCH_CHECK(m_options.length >= 1 && m_options.length <= m_video->maxFrames(), "context windows: a window of ",
              m_options.length, " frames does not fit the motion module's position table of ", m_video->maxFrames(),
              " frames");
  (void)contextWindows(m_options.length + 1, m_options);  // validates overlap / stride now, not at the first step
}

const DenoiserInfo& WindowedVideoDenoiser::info() const { return m_video->info(); }

at::Tensor WindowedVideoDenoiser::predict(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond) {
  TORCH_CHECK(x_t.dim() == 4 || x_t.dim() == 5, "WindowedVideoDenoiser: x_t must be [B,C,F,h,w] or [B,C,h,w], got ",
              x_t.sizes());
  if (x_t.dim() == 4) return m_video->predict(x_t, t, cond);
  const auto windows = contextWindows(x_t.size(2), m_options);
  // One window is the whole clip: the plain model call, bit for bit.
  if (windows.size() == 1) return m_video->predict(x_t, t, cond);
  return m_fusion == Fusion::FreeNoise ? predictFreeNoise(x_t, t, cond, windows)
                                       : predictAveraged(x_t, t, cond, windows);
}

at::Tensor WindowedVideoDenoiser::predictAveraged(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond,
                                                  const std::vector<std::vector<int64_t>>& windows) {
  c10::InferenceMode guard;
  // One window at a time (memory of one window), then the per-frame mean over the windows.
  std::vector<at::Tensor> outs;
  for (const auto& w : windows)
    outs.push_back(m_video->predict(x_t.index_select(2, at::tensor(w, at::kLong).to(x_t.device())), t, cond));
  const at::Tensor gather = fusionMatrices(windows, x_t.size(2), /*uniform=*/true).gather.to(x_t.options());
  const at::Tensor stacked = at::stack(outs, -1);  // [B, C, L, h, w, W]
  const int64_t b = stacked.size(0), c = stacked.size(1), l = stacked.size(2), h = stacked.size(3), w = stacked.size(4);
  const at::Tensor copies = stacked.permute({0, 1, 3, 4, 5, 2}).reshape({b, c, h, w, int64_t(windows.size()) * l});
  return at::matmul(copies, gather).permute({0, 1, 4, 2, 3}).contiguous();  // [B, C, F, h, w]
}

at::Tensor WindowedVideoDenoiser::predictFreeNoise(const at::Tensor& x_t, const at::Tensor& t, const Conditioning& cond,
                                                   const std::vector<std::vector<int64_t>>& windows) {
  c10::InferenceMode guard;
  TORCH_CHECK(cond.context.defined() && cond.context.dim() >= 2,
              "WindowedVideoDenoiser: conditioning must be token ids [B,L] or text embeddings [B,L,D]");
  const int64_t b = x_t.size(0), c = x_t.size(1), f = x_t.size(2), h = x_t.size(3), w = x_t.size(4);
  const int64_t wn = int64_t(windows.size()), l = int64_t(windows.front().size());
  const at::Tensor index = flatIndices(windows).to(x_t.device());
  const FusionMatrices fusion = fusionMatrices(windows, f, /*uniform=*/false);
  const at::Tensor gather = fusion.gather.to(x_t.options()), spread = fusion.spread.to(x_t.options());
  // Windows folded into the batch: clip b's window v is batch row b·W + v.
  const at::Tensor xw = x_t.index_select(2, index).reshape({b, c, wn, l, h, w}).transpose(1, 2).reshape({b * wn, c, l, h, w});
  at::Tensor steps = t.to(at::kLong).reshape({-1});
  if (steps.numel() == 1 && b > 1) steps = steps.expand({b});
  TORCH_CHECK(steps.size(0) == b, "WindowedVideoDenoiser: t has ", steps.size(0), " entries for batch ", b);
  at::Tensor ctx = cond.context;
  if (ctx.size(0) == 1 && b > 1) {
    std::vector<int64_t> sizes = ctx.sizes().vec();
    sizes[0] = b;
    ctx = ctx.expand(sizes);
  }
  TORCH_CHECK(ctx.size(0) == b, "WindowedVideoDenoiser: conditioning batch ", ctx.size(0), " does not match x_t batch ",
              b);
  // out [(B·W)·N, L, D] (N spatial positions): every copy of a frame gets the weighted sum of its
  // copies' attention outputs, so the copies stay equal through the rest of the network.
  HookScope hook(m_video->motion(), [&](const UnetSite&, int, int, const at::Tensor& out) {
    const int64_t n = out.size(0) / (b * wn), d = out.size(2);
    const at::Tensor copies = out.reshape({b, wn, n, l, d}).permute({0, 2, 4, 1, 3}).reshape({b, n, d, wn * l});
    const at::Tensor fused = at::matmul(copies, spread.to(out.scalar_type()));  // copy k <- its frame's fusion
    return fused.reshape({b, n, d, wn, l}).permute({0, 3, 1, 4, 2}).reshape(out.sizes());
  });
  // Every window a clip of its own (row b·W + v), through the model's own window call.
  const at::Tensor out = m_video->predictWindow(xw, steps.repeat_interleave(wn),
                                                Conditioning{ctx.repeat_interleave(wn, 0)}, 0, l);  // [B·W, C, L, h, w]
  // The copies are equal (up to rounding); their weighted mean is the frame's prediction.
  const at::Tensor copies = out.reshape({b, wn, c, l, h, w}).permute({0, 2, 4, 5, 1, 3}).reshape({b, c, h, w, wn * l});
  return at::matmul(copies, gather).permute({0, 1, 4, 2, 3}).contiguous();  // [B, C, F, h, w]
}

}  // namespace ns::sd
