// Project -> JSON of the current schema. Key order is fixed (ordered_json) so saving the same
// project twice gives byte-identical files, which keeps diffs and the round-trip test meaningful.
#include <charconv>
#include <cstdlib>

#include "core/plan/edit_mask_json.h"
#include "core/plan/project_json.h"

namespace ns {
namespace {

ProjectJson boxJson(const NormBox& b) {
  return ProjectJson::array({floatForJson(b.x0), floatForJson(b.y0), floatForJson(b.x1), floatForJson(b.y1)});
}

ProjectJson backgroundJson(const Background& b) {
  ProjectJson j = ProjectJson::object();
  j["kind"] = backgroundKindName(b.kind);
  switch (b.kind) {
    case BackgroundKind::Colour: j["colour"] = toHexColour(b.colour); break;
    case BackgroundKind::Gradient:
      j["colour"] = toHexColour(b.colour);
      j["colour2"] = toHexColour(b.colour2);
      j["direction"] = gradientDirectionName(b.direction);
      break;
    case BackgroundKind::ImageFile:
    case BackgroundKind::VideoFile: j["path"] = b.path; break;
    case BackgroundKind::Generate:
      j["prompt"] = b.prompt;
      if (b.seed) j["seed"] = *b.seed;
      break;
    default: break;
  }
  return j;
}

ProjectJson sourceJson(const ObjectSource& s) {
  ProjectJson j = ProjectJson::object();
  j["kind"] = sourceKindName(s.kind);
  switch (s.kind) {
    case SourceKind::BuiltinShape:
      j["shape"] = s.shape;
      j["colour"] = s.colour;
      break;
    case SourceKind::CutOut:
      j["path"] = s.path;
      j["box"] = boxJson(s.sourceBox);
      break;
    case SourceKind::ImageWithAlpha: j["path"] = s.path; break;
    case SourceKind::Generate:
      if (s.seed) j["seed"] = *s.seed;
      break;
    default: break;
  }
  return j;
}

ProjectJson trajectoryJson(const Trajectory& t) {
  ProjectJson keys = ProjectJson::array();
  for (const Keyframe& k : t.keys()) {
    ProjectJson kj = ProjectJson::object();
    kj["frame"] = k.frame;
    kj["box"] = boxJson(k.box);
    kj["rotation_deg"] = k.rotationDeg;
    kj["easing"] = easingName(k.easing);
    keys.push_back(kj);
  }
  ProjectJson j = ProjectJson::object();
  j["interpolation"] = interpolationName(t.interpolation());
  j["keyframes"] = keys;
  return j;
}

}  // namespace

double floatForJson(float v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf) - 1, v);  // shortest round-trip form
  *res.ptr = '\0';
  return std::strtod(buf, nullptr);
}

ProjectJson projectToJson(const Project& p) {
  ProjectJson j = ProjectJson::object();
  j["schema_version"] = Project::kSchemaVersion;
  j["canvas"] = ProjectJson{{"width", p.width}, {"height", p.height}};
  j["fps"] = p.fps;
  j["frames"] = p.frames;
  j["prompt"] = p.prompt;
  j["negative_prompt"] = p.negativePrompt;
  j["seed"] = p.seed;
  j["model"] = p.model;
  j["background"] = backgroundJson(p.background);
  ProjectJson objects = ProjectJson::array();
  for (const ProjectObject& o : p.objects) {
    ProjectJson oj = ProjectJson::object();
    oj["id"] = o.id;
    oj["prompt"] = o.prompt;
    oj["z"] = o.z;
    oj["source"] = sourceJson(o.source);
    oj["trajectory"] = trajectoryJson(o.trajectory);
    objects.push_back(oj);
  }
  j["objects"] = objects;
  j["noise"] = ProjectJson{{"kind", noiseKindName(p.noise.kind)},
                           {"degradation", p.noise.degradation},
                           {"window", p.noise.window},
                           {"stride", p.noise.stride}};
  j["render"] = ProjectJson{{"steps", p.render.steps},
                            {"cfg", p.render.cfg},
                            {"noise_ratio", p.render.noiseRatio},
                            {"method", initMethodName(p.render.method)}};
  {
    const RenderSettings defaults;
    const ContextWindowOptions& c = p.render.context;
    if (c.length != defaults.context.length || c.overlap != defaults.context.overlap ||
        c.stride != defaults.context.stride || c.loop != defaults.context.loop || p.render.fusion != defaults.fusion)
      j["render"]["context_windows"] = ProjectJson{{"length", c.length},   {"overlap", c.overlap},
                                                   {"stride", c.stride},   {"loop", c.loop},
                                                   {"fusion", toString(p.render.fusion)}};
  }
  j["inversion"] = ProjectJson{{"skip", p.inversion.skip},
                               {"cfg_source", p.inversion.cfgSource},
                               {"cfg_target", p.inversion.cfgTarget}};
  // Written only when set, so projects without a mask keep their bytes (and older builds read them).
  if (p.inversion.mask.active() || p.inversion.mask.feather != 0.f)
    j["inversion"]["mask"] = editMaskToJson(p.inversion.mask);
  return j;
}

}  // namespace ns
