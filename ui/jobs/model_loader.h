#pragma once
// The model-loading job for a ModelDock choice: the built-in model (findBuiltinModelDir +
// loadBuiltinModel) or a model-pack folder. Runs on the model thread. When this build's core has
// no loader for the choice yet, the job fails with a message saying so (never a fake model).

#include "ui/docks/model_dock.h"
#include "ui/jobs/job_types.h"

namespace ns::ui {

ModelLoaderFn modelLoader(const ModelChoice& choice);
// Whether this build can load each kind (the dock greys out what it cannot).
bool canLoadBuiltinModel();
bool canLoadModelPacks();

}  // namespace ns::ui
