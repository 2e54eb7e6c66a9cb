#pragma once
// Pieces invert.cpp and edit.cpp share: fitting the source to the model size, the source hash,
// the model's tensor layout for a clip, and rebuilding the diffusion-level InversionResult from
// an InvertedNoise (a .nsnoise file stores only tensors + schedule; ᾱ/σ/η are recomputed).
// Pure functions; any thread (the caller runs them under c10::InferenceMode).

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>

#include "core/diffusion/edit_friendly_inversion.h"
#include "core/diffusion/noise_schedule.h"
#include "core/engine/inverted_noise.h"

namespace ns::engine {

// Cover fit (same policy as media::fitCover, which lives in ns_media and cannot be linked from
// ns_core): scale so the image covers size×size keeping the aspect (area filter when shrinking,
// bilinear when enlarging), then centre-crop. images [F,3,H,W] in [-1,1] -> [F,3,size,size].
at::Tensor fitCoverSquare(const at::Tensor& images, int size);

// The fitted source as 8-bit pixels (round((x+1)/2·255)), hashed with FNV-1a 64 in [F,3,H,W]
// order; 16 lower-case hex digits.
std::string sourceHash8bit(const at::Tensor& images);

// Frames [F,C,h,w] <-> what the denoiser takes: image models keep the frames as a batch;
// video models take one clip [1,C,F,h,w]. `lead` leading dims (e.g. 1 for zs [T,…]) are kept.
at::Tensor framesToModel(const at::Tensor& frames, bool isVideo, int lead = 0);
at::Tensor modelToFrames(const at::Tensor& x, bool isVideo, int lead = 0);

// Rebuilds the InversionResult of an edit-friendly InvertedNoise (tensors in model layout):
// ᾱ from the schedule at the stored timesteps, σ_k = EditFriendlyInversion::sigma, η_k = eta.
Result<InversionResult> toInversionResult(const InvertedNoise& noise, const NoiseSchedule& schedule, bool isVideo);

}  // namespace ns::engine
