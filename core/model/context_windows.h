#pragma once
// Context windows for clips longer than a video model's window (issue 16 item 3): which frames
// each window denoises, and FreeNoise's fusion weights (Qiu et al. 2023, "FreeNoise: Tuning-Free
// Longer Video Diffusion via Noise Rescheduling"). Pure index arithmetic; the denoising itself is
// in core/model/sd/windowed_video_denoiser.h. docs/video.md "Context windows and FreeNoise".
// Thread: stateless functions. Bad settings throw c10::Error naming the setting and its value.

#include <cstdint>
#include <string>
#include <vector>

namespace ns {

struct ContextWindowOptions {
  int64_t length = 16;  // frames per window (at most the motion module's position table)
  int64_t overlap = 4;  // frames shared by consecutive windows (used when stride is 0)
  int64_t stride = 0;   // window start step; 0 = length - overlap
  bool loop = false;    // windows wrap around the clip's end (for looping clips)
  int64_t effectiveStride() const { return stride > 0 ? stride : length - overlap; }
};

// How the windows' predictions become one (core/model/sd/windowed_video_denoiser.h):
// FreeNoise = temporal-attention outputs fused inside the network; Average = plain sliding
// windows (mean of the windows' predictions). Persisted by name ("freenoise", "average").
enum class WindowFusion { FreeNoise, Average };
std::string toString(WindowFusion f);
// False (and `out` untouched) for an unknown name.
bool windowFusionFromString(const std::string& name, WindowFusion& out);

// The frame indices of every window of a clip of `frames` frames, each `length` long.
//  - frames <= length: one window [0, frames) (the whole clip, exactly the single-window run);
//  - not looping: starts 0, S, 2S, ... while the window fits, plus a last window (F-L, F) when
//    the previous one ends before F (FreeNoise's views: every window has L frames);
//  - looping: starts 0, S, 2S, ... < F, indices taken modulo F, so the last windows wrap around
//    to frame 0. When S divides F and L, every frame is in exactly L/S windows.
std::vector<std::vector<int64_t>> contextWindows(int64_t frames, const ContextWindowOptions& options);

// FreeNoise's window fusion weights, normalised per frame: for window v and its position i,
// w = 1 / (|i - c| + 1) with c = (L-1)/2 the window's centre (frames near a window's centre
// count more), divided by the sum over all windows covering that frame. So for every frame the
// weights of the windows covering it sum to 1, and a frame in one window only has weight 1.
// uniform = true: every covering window counts the same (plain averaging of window predictions).
std::vector<std::vector<float>> windowFusionWeights(const std::vector<std::vector<int64_t>>& windows, int64_t frames,
                                                    bool uniform = false);

}  // namespace ns
