#include "core/media/project_inputs.h"

#include <ATen/ATen.h>

#include "core/media/cutout.h"
#include "core/media/image_io.h"
#include "core/media/video_io.h"

namespace ns::media {

namespace {

Error fieldError(const std::string& field, const Error& e) { return makeError(e.kind, field + ": " + e.message); }

}  // namespace

Result<SketchInputs> loadProjectInputs(const Project& project) {
  SketchInputs in;
  const Background& bg = project.background;
  const std::string bgPath = bg.path.empty() ? std::string() : project.resolvePath(bg.path);
  switch (bg.kind) {
    case BackgroundKind::ImageFile: {
      auto img = media::readImage(bgPath);
      if (!img.ok()) return fieldError("background.path", img.error());
      in.background = *img;
      break;
    }
    case BackgroundKind::VideoFile: {
      auto clip = media::readVideo(bgPath);
      if (!clip.ok()) return fieldError("background.path", clip.error());
      // The renderer uses frame min(k, F'-1); frames past the project's length are never shown.
      in.background = clip->frames.slice(0, 0, std::min<int64_t>(clip->frames.size(0), project.frames)).contiguous();
      break;
    }
    case BackgroundKind::Generate: break;  // painted by the model: core/engine/model_planning.h
    default: break;  // colour / gradient: drawn by the sketch renderer
  }

  for (size_t i = 0; i < project.objects.size(); ++i) {
    const ProjectObject& o = project.objects[i];
    const std::string field = "objects[" + std::to_string(i) + "].source.path";
    if (o.source.kind == SourceKind::CutOut) {
      const std::string path = project.resolvePath(o.source.path);
      auto img = media::readImage(path);
      if (!img.ok()) return fieldError(field, img.error());
      auto cut = media::cutOutObject(*img, o.source.sourceBox);
      if (!cut.ok()) return fieldError(field, cut.error());
      auto sprite = Sprite::fromRgba(cut->sprite);
      if (!sprite.ok()) return fieldError(field, sprite.error());
      in.sprites[o.id] = *sprite;
      // Dragging an object out of the background photo must not leave a copy behind: use the
      // photo with the object's hole inpainted.
      if (bg.kind == BackgroundKind::ImageFile && bgPath == path) in.background = cut->background;
    } else if (o.source.kind == SourceKind::ImageWithAlpha) {
      auto rgba = media::readImageRgba(project.resolvePath(o.source.path));
      if (!rgba.ok()) return fieldError(field, rgba.error());
      auto sprite = Sprite::fromRgba(*rgba);
      if (!sprite.ok()) return fieldError(field, sprite.error());
      in.sprites[o.id] = *sprite;
    }
  }
  return in;
}

}  // namespace ns::media
