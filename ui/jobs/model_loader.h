#pragma once
// The model-loading job for a ModelDock choice: the built-in model (findBuiltinModelDir +
// loadBuiltinModel) or a model-pack folder (loadModelPack, or loadBuiltinModel when its model.json
// is in the built-in format). Runs on the model thread. Also where installed packs are found.

#include <QStringList>

#include "ui/docks/model_dock.h"
#include "ui/jobs/job_types.h"

namespace ns::ui {

ModelLoaderFn modelLoader(const ModelChoice& choice);
// The user's model folder: $NS_MODEL_DIR, else <AppDataLocation>/models
// (~/.local/share/NoiseStudio/models). Packs are copied or unpacked there, one folder each.
QString userModelFolder();
// Sub-folders of `folder` that hold a model.json, sorted by name (absolute paths).
QStringList findInstalledModelPacks(const QString& folder);

}  // namespace ns::ui
