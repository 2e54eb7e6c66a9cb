#pragma once
// The model-loading job for a ModelDock choice, through the one door ns::loadModel
// (core/model/model_loader.h): the built-in model, a model-pack folder, or a Stable Diffusion
// checkpoint (file or diffusers folder). Runs on the model thread; reports the load's parts as the
// job's progress and stops between parts when the job is cancelled. Also where the user's model
// folder and its packs are found.
//
// Stable Diffusion options come from the environment, read when the job is made (UI thread):
//   NS_SD_UNET_HEADS  UNet attention heads at every level (unusual or tiny files; SD 1.x: 8)
//   NS_SD_TEXT_HEADS  text-encoder attention heads (default: width / 64)
// The free memory of the device is passed on, so an oversized file is refused before loading.

#include <QStringList>

#include "ui/jobs/model_choice.h"
#include "ui/jobs/job_types.h"

namespace ns::ui {

ModelLoaderFn modelLoader(const ModelChoice& choice);
// The user's model folder: $NS_MODEL_DIR, else <AppDataLocation>/models
// (~/.local/share/NoiseStudio/models). Packs are copied or unpacked there, one folder each;
// checkpoints (.safetensors/.ckpt/.pt files, diffusers folders) are put there as they are.
QString userModelFolder();
// Sub-folders of `folder` that hold a model.json, sorted by name (absolute paths).
QStringList findInstalledModelPacks(const QString& folder);
// The built-in video model's motion modules (motion.safetensors beside the built-in model), "" when
// the built-in model or that file is not installed.
QString builtinMotionModulePath();

}  // namespace ns::ui
