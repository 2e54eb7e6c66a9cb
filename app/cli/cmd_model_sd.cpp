// `noisestudio-cli model info PATH` for Stable Diffusion checkpoints and `model run`: runs each part
// of a checkpoint on named input tensors and writes its outputs (fp32), for conformance checks
// against reference implementations and for users whose file misbehaves.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <nlohmann/json.hpp>

#include <iostream>

#include "app/cli/commands.h"
#include "app/cli/model_loading.h"
#include "app/cli/sd_model_cli.h"
#include "core/model/safetensors.h"
#include "core/model/sd/sd_denoiser.h"
#include "core/model/sd/sd_video_denoiser.h"
#include "core/util/torch_runtime.h"

namespace ns::cli {

namespace {

nlohmann::json reportJson(const sd::SdModelReport& r) {
  return {{"ok", true},
          {"path", r.source},
          {"layout", r.layout},
          {"family", r.family},
          {"prediction", r.prediction},
          {"prediction_source", r.predictionSource},
          {"parameters",
           {{"unet", r.unetParameters},
            {"vae", r.vaeParameters},
            {"text", r.textParameters},
            {"total", r.unetParameters + r.vaeParameters + r.textParameters}}},
          {"storage_dtypes", r.storageDtypes},
          {"latent_channels", r.latentChannels},
          {"latent_scale", r.latentScale},
          {"default_image_size", r.defaultImageSize},
          {"file_bytes", r.fileBytes},
          {"load_seconds", r.loadSeconds},
          {"resident_bytes", r.residentBytes},
          {"peak_resident_bytes", r.peakResidentBytes},
          {"tokenizer", r.tokenizer},
          {"motion_module", r.motionSource.empty()
                                ? nlohmann::json(nullptr)
                                : nlohmann::json{{"path", r.motionSource},
                                                 {"naming", r.motionNaming},
                                                 {"modules", r.motionModules},
                                                 {"mid_block", r.motionMidBlock},
                                                 {"max_frames", r.motionMaxFrames},
                                                 {"parameters", r.motionParameters}}}};
}

Error badInput(const std::string& file, const std::string& what) {
  return makeError(ErrorKind::BadInput, file + ": " + what);
}

// The named input, checked for rank (rank, or rank2 when given) and dtype class; undefined when absent.
Result<at::Tensor> input(const SafetensorsFile& in, const std::string& file, const std::string& name, int rank,
                         bool integer, int rank2 = -1) {
  auto it = in.tensors.find(name);
  if (it == in.tensors.end()) return at::Tensor();
  const at::Tensor& t = it->second;
  if (t.dim() != rank && t.dim() != rank2)
    return badInput(file, "tensor '" + name + "' must have " + std::to_string(rank) +
                              (rank2 > 0 ? " or " + std::to_string(rank2) : std::string()) + " dimensions, it has " +
                              std::to_string(t.dim()));
  if (integer == t.is_floating_point())
    return badInput(file, "tensor '" + name + "' must be " + (integer ? "an integer" : "a float") + " tensor");
  return integer ? t.to(at::kLong) : t.to(at::kFloat);
}

int runModelRun(const GlobalOptions& g, const std::string& path, const std::string& inputs, const std::string& output) {
  initTorchRuntime();
  auto opts = sdLoadOptionsFor(g);
  if (!opts.ok()) return reportError(g, opts.error());
  if (!sd::isSdModelPath(path))
    return reportError(g, badInput(path, "model run takes a Stable Diffusion .safetensors/.ckpt file or diffusers folder"));
  auto in = readSafetensors(inputs);
  if (!in.ok()) return reportError(g, in.error());
  auto model = sd::loadSdModel(path, *opts);
  if (!model.ok()) return reportError(g, model.error());
  std::map<std::string, at::Tensor> out;
  try {
    c10::InferenceMode guard;
    auto ids = input(*in, inputs, "text.ids", 2, true);
    if (!ids.ok()) return reportError(g, ids.error());
    if (ids->defined()) out["text.hidden"] = model->text->forward(*ids);

    // unet.x [B,4,h,w], or a clip [B,4,F,h,w]: with a motion module the video UNet, without one
    // the image UNet on each frame.
    auto x = input(*in, inputs, "unet.x", 4, false, 5), ctx = input(*in, inputs, "unet.context", 3, false);
    auto t = input(*in, inputs, "unet.t", 1, true);
    for (auto* r : {&x, &ctx, &t})
      if (!r->ok()) return reportError(g, r->error());
    if (x->defined()) {
      if (!t->defined() || !ctx->defined())
        return reportError(g, badInput(inputs, "unet.x needs unet.t [B] and unet.context [B,L,D] beside it"));
      if (x->dim() == 5 && model->motion) {
        out["unet.out"] = sd::forwardVideo(*model->unet, *model->motion, *x, *t, *ctx);
      } else if (x->dim() == 5) {
        sd::SdDenoiser frames(model->unet, model->info);
        out["unet.out"] = frames.predict(*x, *t, Conditioning{*ctx});
      } else if (model->motion) {  // one frame: a one-frame clip through the motion modules
        out["unet.out"] = sd::forwardVideo(*model->unet, *model->motion, x->unsqueeze(2), *t, *ctx).squeeze(2);
      } else {
        out["unet.out"] = model->unet->forward(*x, *t, *ctx);
      }
    }
    auto z = input(*in, inputs, "vae.z", 4, false);
    if (!z.ok()) return reportError(g, z.error());
    if (z->defined()) out["vae.decoded"] = model->vae->decode(*z);
    auto img = input(*in, inputs, "vae.image", 4, false);
    if (!img.ok()) return reportError(g, img.error());
    if (img->defined()) out["vae.mean"] = model->vae->encodeMean(*img);
  } catch (const c10::Error& e) {
    return reportError(g, makeError(ErrorKind::BadInput, inputs + ": the model refused the inputs: " +
                                                             e.what_without_backtrace()));
  }
  if (out.empty())
    return reportError(g, badInput(inputs, "holds none of text.ids, unet.x, vae.z, vae.image: nothing to run"));
  for (auto& [k, v] : out) v = v.to(at::kFloat).contiguous();
  auto w = writeSafetensors(output, out, {{"model", path}});
  if (!w.ok()) return reportError(g, w.error());
  nlohmann::json j{{"ok", true}, {"output", output}};
  for (const auto& [k, v] : out) j["tensors"][k] = v.sizes().vec();
  if (g.json) std::cout << j.dump(2) << std::endl;
  else
    for (const auto& [k, v] : out) std::cout << k << " " << v.sizes() << "\n";
  return kExitOk;
}

}  // namespace

int runSdModelInfo(const GlobalOptions& g, const std::string& path) {
  initTorchRuntime();
  auto opts = sdLoadOptionsFor(g);
  if (!opts.ok()) return reportError(g, opts.error());
  auto model = sd::loadSdModel(path, *opts);
  if (!model.ok()) return reportError(g, model.error());
  const nlohmann::json j = reportJson(model->report);
  if (g.json) {
    std::cout << j.dump(2) << std::endl;
  } else {
    for (auto& [k, v] : j.items())
      if (k != "ok") std::cout << k << ": " << v.dump() << "\n";
  }
  return kExitOk;
}

void addModelRunCommand(CLI::App& model, GlobalOptions& g, CommandTable& table) {
  auto* run = model.add_subcommand("run", "Run each part of a Stable Diffusion checkpoint on named input tensors");
  auto path = std::make_shared<std::string>(), inputs = std::make_shared<std::string>(),
       output = std::make_shared<std::string>();
  run->add_option("path", *path, "Checkpoint: .safetensors/.ckpt file or diffusers folder")->required();
  run->add_option("--inputs", *inputs,
                  "safetensors with any of: text.ids [B,L] int64; unet.x [B,4,h,w] or a clip [B,4,F,h,w] (with "
                  "--motion-module: the video UNet) + unet.t [B] + unet.context [B,L,D]; "
                  "vae.z [B,4,h,w] (unscaled); vae.image [B,3,H,W] in [-1,1]")
      ->required();
  run->add_option("-o,--output", *output, "Where to write text.hidden, unet.out, vae.decoded, vae.mean (fp32)")
      ->required();
  table.add(run, [&g, path, inputs, output]() { return runModelRun(g, *path, *inputs, *output); });
}

}  // namespace ns::cli
