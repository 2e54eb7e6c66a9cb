#pragma once
// Project: the NoiseStudio document (DESIGN.md "core/plan", "Files and data").
//
// A plain value: canvas, timing, prompts, seed, model id, background, objects moving along
// trajectories, the noise recipe and the render/inversion settings. The UI edits it on the UI
// thread through undo commands and hands copies ("snapshots") to the model thread; copies share
// nothing.
//
// Files: JSON `.nsproj` with "schema_version" (docs/project-format.md). load() migrates older
// versions (v0 -> v1 ...), validates strictly (every error names the field path, e.g.
// "objects[1].trajectory.keyframes[2].frame: 40 is outside 0..23") and leaves *this untouched on
// failure. save() is atomic (temp + fsync + rename) and keeps one backup `<file>.bak`. Paths to
// sources are stored as written (relative ones are relative to the project file's folder) and
// resolved with resolvePath().

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model/context_windows.h"
#include "core/model/scene.h"
#include "core/plan/edit_mask.h"
#include "core/plan/trajectory.h"
#include "core/util/result.h"

namespace ns {

// A colour as 8-bit sRGB; files write it as "#rrggbb".
struct Rgb8 {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb8& o) const { return r == o.r && g == o.g && b == o.b; }
  bool operator!=(const Rgb8& o) const { return !(*this == o); }
};
// "#rrggbb" (case-insensitive) -> colour; false if malformed.
bool parseHexColour(const std::string& text, Rgb8& out);
std::string toHexColour(const Rgb8& c);  // lower case "#rrggbb"

// Persisted by name ("colour", "gradient", "image", "video", "generate"); add new values at the end.
enum class BackgroundKind {
  Invalid = 0,
  Colour,     // flat `colour`
  Gradient,   // `colour` -> `colour2` along `direction`
  ImageFile,  // still image at `path` (the caller loads it: core has no image codecs)
  VideoFile,  // video at `path` (caller loads it), frame i of the video behind frame i
  Generate,   // made by the model from `prompt` ("" = the global prompt without the objects);
              // core/engine/model_planning.h renders it
};

// Persisted by name ("vertical" = top to bottom, "horizontal" = left to right).
enum class GradientDirection { Invalid = 0, Vertical, Horizontal };

struct Background {
  BackgroundKind kind = BackgroundKind::Colour;
  Rgb8 colour{255, 255, 255};  // Colour; Gradient start
  Rgb8 colour2{0, 0, 0};       // Gradient end
  GradientDirection direction = GradientDirection::Vertical;
  std::string path;    // ImageFile / VideoFile, as written in the file
  std::string prompt;  // Generate ("" = derived from the global prompt, see plannedBackgroundPrompt)
  // Generate: seed of the model's render; unset = the project seed. The window's re-roll button
  // sets it, so a new background does not change the noise of the render itself.
  std::optional<uint64_t> seed;
};

// Persisted by name ("shape", "cutout", "image", "generate"); add new values at the end.
enum class SourceKind {
  Invalid = 0,
  BuiltinShape,    // flat-coloured vocabulary shape `shape` in vocabulary colour `colour`
  CutOut,          // the part of image `path` inside `sourceBox` (mask from the cut-out tool)
  ImageWithAlpha,  // RGBA image `path` used whole
  Generate,        // rendered by the model from the object's prompt on a plain backdrop and cut out
                   // (core/engine/model_planning.h); the prompt must not be empty
};

struct ObjectSource {
  SourceKind kind = SourceKind::BuiltinShape;
  std::string shape = "ball";  // BuiltinShape: one of Vocabulary::shapes()
  std::string colour = "red";  // BuiltinShape: one of Vocabulary::colours()
  std::string path;            // CutOut / ImageWithAlpha, as written in the file
  NormBox sourceBox;           // CutOut: region of the source image, normalised
  std::optional<uint64_t> seed;  // Generate: seed of the model's render; unset = derived from the
                                 // project seed and the object's id (the re-roll button sets it)
};

struct ProjectObject {
  std::string id;      // unique within the project, non-empty
  std::string prompt;  // what it is, e.g. "a red ball" ("" = derived from the source)
  ObjectSource source;
  Trajectory trajectory;  // at least one key, frames inside 0..frames-1
  int z = 0;              // draw order: higher is in front; ties keep list order
};

// Persisted by name ("random", "inverted", "warped", "freenoise"); add new values at the end.
enum class NoiseKind {
  Invalid = 0,
  Random,     // fresh seeded noise per frame
  Inverted,   // noise maps from inverting the source media
  Warped,     // seed noise warped along the sketch's flow (Go-with-the-Flow)
  FreeNoise,  // FreeNoise rescheduling of one window of noise
};

struct NoiseRecipe {
  NoiseKind kind = NoiseKind::Warped;
  double degradation = 0.0;  // γ: 0 = pure warped/recipe noise, 1 = fresh noise (ALGORITHMS §2.5)
  int window = 16;           // FreeNoise window length in frames
  int stride = 4;            // FreeNoise window stride in frames
};

// How a sketch becomes x_t*. Persisted by name ("q_sample", "ddim_inversion").
enum class InitMethod {
  Invalid = 0,
  QSample,        // forward-noise the sketch to t* (Video-MSG)
  DdimInversion,  // DDIM-invert the sketch to t*
};

struct RenderSettings {
  int steps = 30;            // denoising steps of the full schedule
  double cfg = 4.0;          // classifier-free guidance scale
  double noiseRatio = 0.7;   // α: t* = α·T (ALGORITHMS §4.2); 1 = start from pure noise
  InitMethod method = InitMethod::QSample;
  // Video models only: clips longer than `context.length` frames are denoised in overlapping
  // context windows combined by `fusion` (docs/video.md "Context windows and FreeNoise").
  // Stored as render.context_windows, written only when not the defaults.
  ContextWindowOptions context;
  WindowFusion fusion = WindowFusion::FreeNoise;
};

struct InversionSettings {
  int skip = 0;             // edit-friendly inversion: steps skipped at the start of the reverse pass
  double cfgSource = 1.0;   // guidance while inverting (source prompt)
  double cfgTarget = 4.0;   // guidance while regenerating (target prompt)
  EditMask mask;            // the region re-render edits (mask brush); inactive = everywhere
};

struct ProjectLoadOptions {
  // When non-empty, a model id not in this list is refused ("model: 'x' is not installed; known: ...").
  std::vector<std::string> knownModels;
};

struct Project {
  static constexpr int kSchemaVersion = 1;

  int width = 64;
  int height = 64;
  double fps = 8.0;
  int frames = 16;
  std::string prompt;          // global prompt, e.g. "on grass"
  std::string negativePrompt;
  uint64_t seed = 0;
  std::string model = "builtin";
  Background background;
  std::vector<ProjectObject> objects;
  NoiseRecipe noise;
  RenderSettings render;
  InversionSettings inversion;

  // The file this project was loaded from / saved to ("" for a new project). Not stored in the file.
  std::string filePath;

  // What a new document starts as (File → New): the defaults above, but a background the model
  // paints from the global prompt, so a first render from a prompt alone follows the prompt
  // instead of a white sketch.
  static Project untitled();

  // --- files -------------------------------------------------------------------------------
  // Reads, migrates and validates `path`; on success replaces *this (and sets filePath), on
  // failure leaves *this exactly as it was.
  Result<void> load(const std::string& path, const ProjectLoadOptions& options = {});
  static Result<Project> open(const std::string& path, const ProjectLoadOptions& options = {});
  // Validates, then writes atomically with one backup. When a project that already has a file is
  // saved into another folder, its relative paths are rewritten so they still name the same
  // files; absolute paths inside the project's folder become relative. A never-saved project
  // keeps its relative paths as written.
  // Sets filePath on success; on failure *this is unchanged.
  Result<void> save(const std::string& path);
  // JSON text of the current schema (2-space indent, stable key order).
  std::string toJsonText() const;
  // Parses, migrates and validates JSON text. `sourceName` prefixes parse errors.
  static Result<Project> fromJsonText(const std::string& text, const ProjectLoadOptions& options = {},
                                      const std::string& sourceName = "project");

  // --- checks --------------------------------------------------------------------------------
  // Every problem, each naming its field path; empty = valid.
  std::vector<std::string> problems(const ProjectLoadOptions& options = {}) const;
  Result<void> validate(const ProjectLoadOptions& options = {}) const;

  // --- helpers -------------------------------------------------------------------------------
  // Absolute path for a stored path: relative paths are taken against filePath's folder (or the
  // current folder while filePath is empty); absolute paths are returned unchanged.
  std::string resolvePath(const std::string& stored) const;
  // The planned objects at `frame` for verifiers: builtin shapes as (shape, colour, box), others
  // with the shape/colour words parsed from their prompt. Boxes are the axis-aligned bounds of the
  // rotated box, clipped to [0,1]. Back to front (z order).
  std::vector<SceneObject> layoutAt(double frame) const;
  // Object indices sorted back to front (z ascending, ties in list order).
  std::vector<int> drawOrder() const;
  const ProjectObject* findObject(const std::string& id) const;
};

// What an object is called in prompts: its prompt, or "a <colour> <shape>" ("an orange ...") for
// a builtin shape without one, or its id.
std::string objectPrompt(const ProjectObject& object);
// The prompt the model gets: object prompts joined with " and " (draw order, back to front) plus
// the global prompt — "a red ball" + "on grass" -> "a red ball on grass". Object prompts the
// global prompt already contains are not repeated; a global prompt that does not start with a
// preposition is joined with ", ".
std::string fullPrompt(const Project& project);

// Persisted names of the enums above; the parsers return Invalid for unknown names.
std::string backgroundKindName(BackgroundKind k);
BackgroundKind backgroundKindFromName(const std::string& s);
std::string gradientDirectionName(GradientDirection d);
GradientDirection gradientDirectionFromName(const std::string& s);
std::string sourceKindName(SourceKind k);
SourceKind sourceKindFromName(const std::string& s);
std::string noiseKindName(NoiseKind k);
NoiseKind noiseKindFromName(const std::string& s);
std::string initMethodName(InitMethod m);
InitMethod initMethodFromName(const std::string& s);

}  // namespace ns
