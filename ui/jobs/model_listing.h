#pragma once
// What the model dock offers from the user's model folder: the model packs (sub-folders with
// model.json) and the Stable Diffusion checkpoints (*.safetensors / *.ckpt / *.pt / *.pth files and
// diffusers folders with model_index.json), each with its family, storage dtype and size.
// Checkpoints are probed from their headers / configs only (ns::probeSdModel,
// sd::probeDiffusersFolder): no weights are read. A checkpoint that fails to probe (truncated,
// SDXL, unreadable) is listed with the error, naming the file, and is not loadable.
// Any thread (reentrant; reads files only), so the window runs it off the UI thread.

#include <QList>
#include <QString>

#include "ui/jobs/model_choice.h"

namespace ns::ui {

// Packs first, then checkpoints, each group sorted by name; one level deep.
QList<ModelListEntry> listModelFolder(const QString& folder);
// One checkpoint (file or diffusers folder) described for the list.
ModelListEntry probeCheckpointEntry(const QString& path);
// "SD 1.x" for "sd1", "SD 2.x" for "sd2"; other names as they are.
QString familyDisplayName(const QString& family);

}  // namespace ns::ui
