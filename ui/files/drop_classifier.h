#pragma once
// What a dropped (or command-line) path is: an image, a video, a project, a model-pack folder or a
// Stable Diffusion checkpoint (file or diffusers folder).
// Pure function of the path and the file system; no Qt widgets. Any thread.

#include <QString>

namespace ns::ui {

// Persisted? No (runtime only).
enum class DropKind {
  Invalid = 0,
  Image,      // core/media/media_kind.h: imageExtensions()
  Video,      // core/media/media_kind.h: videoExtensions() (.m4v too, as everywhere)
  Project,    // .nsproj
  ModelPack,  // a folder holding model.json
  Unknown,    // anything else (the window says so)
  SdCheckpoint,  // .safetensors / .ckpt / .pt / .pth file, or a diffusers folder (model_index.json)
};

DropKind classifyDrop(const QString& localPath);
QString toString(DropKind kind);
// True for the file names and folders the Stable Diffusion loader reads (no file is opened).
bool isSdCheckpointPath(const QString& localPath);

}  // namespace ns::ui
