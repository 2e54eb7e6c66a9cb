#include "core/model/context_windows.h"

#include <c10/util/Exception.h>

#include <cmath>

namespace ns {

std::string toString(WindowFusion f) { return f == WindowFusion::Average ? "average" : "freenoise"; }

bool windowFusionFromString(const std::string& name, WindowFusion& out) {
  if (name == "freenoise") out = WindowFusion::FreeNoise;
  else if (name == "average") out = WindowFusion::Average;
  else return false;
  return true;
}

std::vector<std::vector<int64_t>> contextWindows(int64_t frames, const ContextWindowOptions& o) {
  TORCH_CHECK(frames >= 1, "context windows: the clip has ", frames, " frames");
  TORCH_CHECK(o.length >= 1, "context windows: window length must be >= 1, got ", o.length);
  TORCH_CHECK(o.stride > 0 || (o.overlap >= 0 && o.overlap < o.length), "context windows: overlap ", o.overlap,
              " must be in [0, window length ", o.length, ")");
  const int64_t L = o.length, S = o.effectiveStride();
  TORCH_CHECK(S >= 1 && S <= L, "context windows: stride ", S, " must be in [1, window length ", L,
              "] (a larger stride would skip frames)");
  auto window = [&](int64_t start) {
    std::vector<int64_t> w(static_cast<size_t>(L));
    for (int64_t i = 0; i < L; ++i) w[size_t(i)] = (start + i) % frames;
    return w;
  };
  if (frames <= L) {
    std::vector<int64_t> all(static_cast<size_t>(frames));
    for (int64_t i = 0; i < frames; ++i) all[size_t(i)] = i;
    return {all};
  }
  std::vector<std::vector<int64_t>> out;
  if (o.loop) {
    for (int64_t s = 0; s < frames; s += S) out.push_back(window(s));
    return out;
  }
  int64_t s = 0;
  for (; s + L <= frames; s += S) out.push_back(window(s));
  if (out.back().back() < frames - 1) out.push_back(window(frames - L));
  return out;
}

std::vector<std::vector<float>> windowFusionWeights(const std::vector<std::vector<int64_t>>& windows, int64_t frames,
                                                    bool uniform) {
  std::vector<double> total(size_t(frames), 0.0);
  std::vector<std::vector<double>> raw;
  for (const auto& w : windows) {
    const double centre = double(w.size() - 1) / 2.0;
    std::vector<double> r(w.size());
    for (size_t i = 0; i < w.size(); ++i) {
      TORCH_CHECK(w[i] >= 0 && w[i] < frames, "window fusion: frame ", w[i], " outside a clip of ", frames);
      r[i] = uniform ? 1.0 : 1.0 / (std::abs(double(i) - centre) + 1.0);
      total[size_t(w[i])] += r[i];
    }
    raw.push_back(std::move(r));
  }
  for (int64_t f = 0; f < frames; ++f)
    TORCH_CHECK(total[size_t(f)] > 0, "window fusion: frame ", f, " is in no window");
  std::vector<std::vector<float>> out;
  for (size_t v = 0; v < windows.size(); ++v) {
    std::vector<float> n(windows[v].size());
    for (size_t i = 0; i < n.size(); ++i) n[i] = float(raw[v][i] / total[size_t(windows[v][i])]);
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace ns
