#include "core/media/project_inputs.h"

#include <ATen/ATen.h>

#include "core/media/cutout.h"
#include "core/media/fit.h"
#include "core/media/image_io.h"
#include "core/media/video_io.h"
#include "core/model/vocabulary.h"
#include "core/plan/scene_background.h"
#include "core/plan/scene_canvas.h"

namespace ns::media {

namespace {

Error fieldError(const std::string& field, const Error& e) { return makeError(e.kind, field + ": " + e.message); }

// A vocabulary background painted the way the training scenes paint it, at the canvas size.
Result<at::Tensor> paintBackground(const Project& p) {
  const SceneSpec spec = Vocabulary::parse("on " + p.background.prompt);
  std::string word = spec.background;
  if (word.empty() && Vocabulary::indexOf(Vocabulary::backgrounds(), p.background.prompt) >= 0) word = p.background.prompt;
  const scene::BackgroundKind kind = scene::SceneBackground::fromName(word);
  if (kind == scene::BackgroundKind::Invalid)
    return makeError(ErrorKind::BadInput, "background.prompt: \"" + p.background.prompt +
                                              "\" is not a background the built-in painter knows (sky, grass, sea, "
                                              "desert, night, snow, room)");
  const int size = std::max(p.width, p.height);
  scene::SceneCanvas canvas(size);
  scene::SceneBackground::paint(canvas, scene::SceneBackground::params(kind, p.seed));
  at::Tensor img = at::empty({size, size, 3}, at::kFloat);
  float* d = img.data_ptr<float>();
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const scene::Rgb& c = canvas.at(x, y);
      float* o = d + (size_t(y) * size + x) * 3;
      o[0] = c.r, o[1] = c.g, o[2] = c.b;
    }
  img = img.permute({2, 0, 1}).clamp(0, 1) * 2 - 1;
  return media::fitCover(img.contiguous(), p.height, p.width);
}

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
    case BackgroundKind::Generate: {
      auto painted = paintBackground(project);
      if (!painted.ok()) return painted.error();
      in.background = *painted;
      break;
    }
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
