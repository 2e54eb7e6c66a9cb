#pragma once
// Loading the built-in VIDEO model ("builtin-shapes-video-v1"): the built-in image model's folder
// (builtin_model.h) plus a built-in motion-module file (builtin_motion_sites.h; the shipped one is
// <folder>/motion.safetensors, named by model.json's "video.motion_file"). The one way in, for the
// CLI (--motion-module FILE with the built-in model) and the window alike: loadModel() with
// ModelLoadOptions::sd.motionModule set on a built-in model folder lands here.
// Thread: any thread (the model thread then owns the bundle).

#include <string>

#include "core/model/model_bundle.h"
#include "core/util/result.h"

namespace ns {

constexpr const char* kBuiltinVideoModelId = "builtin-shapes-video-v1";

// The bundle of loadBuiltinModel(dir) with denoiser = BuiltinVideoDenoiser (info().isVideo, id
// kBuiltinVideoModelId). Errors name the motion file and what does not fit (ErrorKind::Model;
// Io when it is missing).
Result<ModelBundle> loadBuiltinVideoModel(const std::string& dir, const std::string& motionFile,
                                          const std::string& device = "cpu");

// <dir>/<model.json "video.motion_file"> when model.json names one and the file exists; "" otherwise
// (an image-only folder). For pickers that offer the shipped motion module.
std::string builtinMotionFileOf(const std::string& dir);

}  // namespace ns
