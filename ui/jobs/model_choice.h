#pragma once
// Which model the model thread loads, and one row of the user's model folder: plain values shared
// by the model jobs (model_loader.h, model_listing.h) and the Model dock that edits them.

#include <QMetaType>
#include <QString>

namespace ns::ui {

// Which model to load. Runtime choice, stored in QSettings by name.
enum class ModelSource {
  Invalid = 0,
  Builtin,     // resources/models/builtin (findBuiltinModelDir)
  Pack,        // a model-pack folder with model.json
  Checkpoint,  // a Stable Diffusion file (.safetensors/.ckpt/.pt/.pth) or diffusers folder
};

struct ModelChoice {
  ModelSource source = ModelSource::Builtin;
  QString path;                 // for Pack (the folder) and Checkpoint (the file or folder)
  QString device = "cpu";       // "cpu" or "cuda"
  // A motion-module file that turns the image model into a video model (issue 16): the built-in
  // one (builtinMotionModulePath()) with the built-in model, an AnimateDiff file with an SD 1.x
  // checkpoint. "" = the image model alone.
  QString motionModule;
};

// One row of the model list: a pack or a checkpoint in the user's model folder.
struct ModelListEntry {
  QString path;            // absolute
  ModelSource source = ModelSource::Invalid;
  QString label;           // e.g. "v1-5-pruned-emaonly.safetensors — SD 1.x, F16, 2.1 GB"
  QString error;           // why it cannot be loaded (failed probe); empty when loadable
  bool loadable() const { return error.isEmpty(); }
};

}  // namespace ns::ui

Q_DECLARE_METATYPE(ns::ui::ModelChoice)
