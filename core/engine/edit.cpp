// edit: re-render inverted noise with a target prompt, skip, guidance, shift, colour and mask.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <spdlog/spdlog.h>

#include "core/diffusion/ddim_inversion.h"
#include "core/diffusion/edit_friendly_inversion.h"
#include "core/diffusion/noise_edits.h"
#include "core/diffusion/noise_schedule.h"
#include "core/engine/engine.h"
#include "core/engine/engine_common.h"
#include "core/engine/inversion_support.h"
#include "core/engine/clip_denoiser.h"
#include "core/util/frame_tensors.h"
#include "core/util/seed_streams.h"

namespace ns {

namespace {

// The RGB offset (pixel units in [-1,1]) as a per-channel latent offset: encode a flat image of
// grey + colour minus encode of flat grey, averaged over the latent pixels. A linear codec maps
// this exactly; the built-in autoencoder is close to linear around grey, which is what the colour
// edit needs (the offset is added along the noise path, NoiseEdits::colourOffset).
std::vector<double> latentColourOffset(Codec& codec, const std::array<float, 3>& rgb, int size, const std::string& dev) {
  const auto opts = at::TensorOptions().dtype(at::kFloat);
  at::Tensor grey = at::zeros({1, 3, size, size}, opts);
  at::Tensor flat = grey.clone();
  for (int c = 0; c < 3; ++c) flat[0][c].fill_(double(rgb[size_t(c)]));
  at::Tensor both = at::cat({flat, grey}, 0);
  if (dev != "cpu") both = both.to(at::Device(dev));
  const at::Tensor lat = codec.encode(both).to(at::kCPU, at::kDouble);
  const at::Tensor delta = (lat[0] - lat[1]).mean({1, 2});
  std::vector<double> out(size_t(delta.size(0)));
  for (int64_t c = 0; c < delta.size(0); ++c) out[size_t(c)] = delta[c].item<double>();
  return out;
}

// Mask FrameBuffer (1 channel, 1 or F frames, any size) -> [M,1,h,w] in [0,1] at latent size,
// then into the model's layout.
Result<at::Tensor> latentMask(const FrameBuffer& mask, int frames, int latent, bool isVideo, const std::string& dev) {
  if (mask.channels != 1 && mask.channels != 3)
    return makeError(ErrorKind::BadInput, "the mask must have 1 (or 3 grey) channels, not " + std::to_string(mask.channels));
  if (mask.count != 1 && mask.count != frames)
    return makeError(ErrorKind::BadInput, "the mask has " + std::to_string(mask.count) + " frames; the noise has " +
                                              std::to_string(frames) + " (give 1 or the same number)");
  at::Tensor m = framesToTensor(mask);
  if (mask.channels == 3) m = m.mean(1, true);
  if (mask.height != latent || mask.width != latent) {
    // Area average when shrinking keeps soft edges proportional to coverage.
    if (mask.height >= latent && mask.width >= latent) m = at::adaptive_avg_pool2d(m, {latent, latent});
    else m = at::upsample_bilinear2d(m, {latent, latent}, false);
  }
  m = m.clamp(0.0, 1.0);
  if (isVideo) m = m.transpose(0, 1).unsqueeze(0);  // [1,1,M,h,w]
  return dev == "cpu" ? m : m.to(at::Device(dev));
}

// The mask at the decoded pictures' size [M,1,H,W] (M = 1 or the frame count), on `like`'s
// device: area average when shrinking, bilinear when growing (the window's mask is already at
// the picture size and passes unchanged).
at::Tensor pixelMask(const FrameBuffer& mask, const at::Tensor& like) {
  at::Tensor m = framesToTensor(mask);
  if (mask.channels == 3) m = m.mean(1, true);
  const int64_t H = like.size(-2), W = like.size(-1);
  if (m.size(-2) != H || m.size(-1) != W) {
    if (m.size(-2) >= H && m.size(-1) >= W) m = at::adaptive_avg_pool2d(m, {H, W});
    else m = at::upsample_bilinear2d(m, {H, W}, false);
  }
  return m.clamp(0.0, 1.0).to(like.device(), like.scalar_type());
}

}  // namespace

Result<FramesResult> edit(ModelBundle& model, const EditRequest& req, JobContext& ctx) {
  if (!model.valid()) return makeError(ErrorKind::Model, "no model is loaded");
  if (!req.noise || !req.noise->xT.defined()) return makeError(ErrorKind::BadInput, "edit: no inverted noise given");
  const InvertedNoise& n = *req.noise;
  const DenoiserInfo& info = model.denoiser->info();
  auto match = checkNoiseMatchesModel("the noise", n, info.id, info.schedule, info.channels, info.sampleSize);
  if (!match.ok()) return match.error();
  const int T = int(n.timesteps.size());
  if (req.cfg < 0 || req.cfg > 50) return makeError(ErrorKind::BadInput, "guidance (cfg) must be between 0 and 50");
  const bool ddim = n.method == "ddim";
  if (!ddim && (req.skip < 0 || req.skip >= T))
    return makeError(ErrorKind::BadInput, "skip must be between 0 and " + std::to_string(T - 1) + " (the noise has " +
                                              std::to_string(T) + " steps), not " + std::to_string(req.skip));
  for (float c : req.colour)
    if (!(c >= -1.f && c <= 1.f)) return makeError(ErrorKind::BadInput, "colour offsets must be between -1 and 1");
  const bool hasColour = req.colour[0] != 0.f || req.colour[1] != 0.f || req.colour[2] != 0.f;
  const bool hasShift = req.shiftX != 0 || req.shiftY != 0;
  const bool hasMask = !req.mask.empty();
  if (ddim && (hasColour || hasShift || hasMask))
    return makeError(ErrorKind::BadInput,
                     "shift, colour and mask edits need edit-friendly noise; this noise was made with DDIM inversion");

  // A video model re-renders the clip jointly: frames through the clip denoiser, whose layout
  // (isVideo) is what the sampler is handed. Bad window settings stop here.
  auto clipDenoiser = engine::clipDenoiserFor(model.denoiser, n.frames(), req.context, req.fusion);
  if (!clipDenoiser.ok()) return clipDenoiser.error();
  const std::shared_ptr<Denoiser>& denoiser = *clipDenoiser;

  return engine::guarded("edit", [&]() -> Result<FramesResult> {
    c10::InferenceMode guard;
    auto schedule = NoiseSchedule::fromConfig(info.schedule);
    if (!schedule.ok()) return schedule.error();
    FramesResult out;
    const bool sourcePrompt = req.keepSourcePrompt || req.prompt.empty();
    const std::string& prompt = sourcePrompt ? n.prompt : req.prompt;
    auto prompts = engine::encodePrompts(model, prompt, "");
    if (!prompts.ok()) return prompts.error();
    out.notes = prompts->notes;
    const std::string dev = model.device;
    auto toDev = [&dev](const at::Tensor& t) { return dev == "cpu" ? t : t.to(at::Device(dev)); };
    const bool clipLayout = denoiser->info().isVideo;
    auto decodePreview = [&model, clipLayout](const at::Tensor& x0) {
      return model.codec->previewDecode(engine::modelToFrames(x0, clipLayout));
    };
    at::Tensor latents;   // model layout
    at::Tensor sourceX0;  // masked edits: the unedited source latent, kept where the mask is 0
    if (ddim) {
      if (req.skip != 0) out.notes.push_back("DDIM noise has no noise maps to skip into: skip " +
                                             std::to_string(req.skip) + " was ignored (regenerated from x_T, skip 0)");
      DdimInversion dinv(*denoiser, *schedule);
      DdimInversionResult d;
      d.xT = toDev(engine::framesToModel(n.xT, clipLayout));
      d.timesteps = n.timesteps;
      d.cfgScale = n.cfgSource;
      auto r = dinv.regenerate(d, prompts->cond, prompts->uncond, req.cfg, ctx, decodePreview);
      if (!r.ok()) return r.error();
      latents = *r;
    } else {
      auto base = engine::toInversionResult(n, *schedule, clipLayout);
      if (!base.ok()) return base.error();
      base->xts = toDev(base->xts);
      base->zs = toDev(base->zs);
      base->xT = base->xts[T];
      InversionResult edited = *base;
      if (hasShift) {
        auto s = NoiseEdits::shift(edited, req.shiftX, req.shiftY, mixSeed(req.seed, SeedStream::EditFresh, 0));
        if (!s.ok()) return s.error();
        edited = std::move(*s);
      }
      if (hasColour) {
        const auto offsets = latentColourOffset(*model.codec, req.colour, model.pixelSize(), dev);
        auto c = NoiseEdits::colourOffset(edited, offsets);
        if (!c.ok()) return c.error();
        edited = std::move(*c);
      }
      EditFriendlyReverseOptions o;
      o.skip = req.skip;
      o.cfgScale = req.cfg;
      o.freshNoiseSeed = mixSeed(req.seed, SeedStream::EditFresh, 1);  // not the shift's border stream
      o.previewDecode = decodePreview;
      if (hasMask) {
        auto m = latentMask(req.mask, n.frames(), info.sampleSize, clipLayout, dev);
        if (!m.ok()) return m.error();
        o.mask = *m;
        o.sourcePath = &*base;
        sourceX0 = base->xts[0];
      }
      EditFriendlyInversion efi(*denoiser, *schedule);
      auto r = efi.reverse(edited, prompts->cond, prompts->uncond, o, ctx);
      if (!r.ok()) return r.error();
      latents = *r;
    }
    spdlog::info("edit: {} frame(s), method {}, prompt '{}', skip {}, cfg {}, shift ({}, {})", n.frames(), n.method,
                 prompt, ddim ? 0 : req.skip, req.cfg, req.shiftX, req.shiftY);
    at::Tensor images = model.codec->decode(engine::modelToFrames(latents, clipLayout));
    if (sourceX0.defined()) {
      // Outside the mask the latent already is the source's, but a decoder with global
      // statistics (the built-in one's GroupNorm) still shifts every pixel a little (≈ 0.01 for a
      // colour edit of a strip): composite with the decoded source at full resolution, so where
      // the mask is 0 the pixels are the source's exactly, the same for the window and the CLI.
      const at::Tensor kept = model.codec->decode(engine::modelToFrames(sourceX0, clipLayout));
      const at::Tensor m = pixelMask(req.mask, images);
      images = images * m + kept * (1.0 - m);
    }
    out.frames = imagesToFrames(images);
    return out;
  });
}

}  // namespace ns
