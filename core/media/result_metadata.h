#pragma once
// Results that remember how they were made (docs/project-format.md "Metadata in results").
//
// Every PNG NoiseStudio writes carries an iTXt chunk "NoiseStudio" holding a small JSON envelope
//   {"format": "noisestudio-result", "version": 1, "kind": "project", "project": {...}}
// or "kind": "recipe" with a "recipe" object (how an edit/generate/noise result was made:
// source, noise file, prompts, seed, model, sampler, steps, cfg, skip, edits), plus a plain tEXt
// "parameters" line other tools show ("prompt\nSteps: 30, Sampler: DDIM, CFG scale: 4, ...").
// A video gets a sidecar next to it instead: "<video>.nsproj" (the project file itself, so it
// opens anywhere a project does) or "<video>.nsrecipe" (the envelope). The sidecar's name keeps
// the video's extension so `plan render scene.nsproj -o scene.mp4` never overwrites scene.nsproj.
//
// Reading is forgiving about the picture and strict about the metadata: damaged chunks and
// envelopes become notes (the image is still an image), and only an unreadable file is an error.

#include <optional>
#include <string>
#include <vector>

#include "core/media/png_text.h"
#include "core/util/result.h"

namespace ns {
struct Project;
}

namespace ns::media {

// Persisted by name ("project", "recipe").
enum class ResultKind { Invalid = 0, Project, Recipe };
std::string resultKindName(ResultKind k);

struct ResultMetadata {
  ResultKind kind = ResultKind::Invalid;  // Invalid = nothing to write
  std::string json;     // the project file's JSON text, or the recipe as a JSON object
  std::string summary;  // the one-line "parameters" text (may hold a newline after the prompt)
  int frame = -1;       // frame index of one PNG of a sequence (-1: not part of a sequence)

  bool empty() const { return kind == ResultKind::Invalid; }
};

constexpr const char* kPngMetadataKeyword = "NoiseStudio";
constexpr const char* kPngSummaryKeyword = "parameters";

// What a project render remembers: the project's JSON with source paths made absolute (the
// result may live in another folder than the project), and its summary line.
ResultMetadata projectMetadata(const Project& project);
// What an edit/generate/noise result remembers. `recipeJson` is a JSON object (text); the
// summary is built from its "prompt", "steps", "sampler", "cfg", "seed", "skip", "model", "size".
ResultMetadata recipeMetadata(const std::string& recipeJson);

// The envelope written into the iTXt chunk / a recipe sidecar.
std::string envelopeJson(const ResultMetadata& metadata);
// A project JSON text validated and rewritten in the current schema (what metadata stores).
Result<std::string> normalisedProjectJson(const std::string& text, const std::string& name);
// Parses an envelope; errors (naming `name`) for malformed JSON, a wrong "format", an unknown
// kind or version, or a payload that is not a JSON object.
Result<ResultMetadata> parseEnvelope(const std::string& text, const std::string& name);

// The text chunks that carry `metadata` in a PNG.
std::vector<PngTextEntry> metadataPngText(const ResultMetadata& metadata);

// "<video>.nsproj" / "<video>.nsrecipe" next to a video.
std::string sidecarPath(const std::string& videoPath, ResultKind kind);
// Writes the sidecar atomically (temp + rename, no backup).
Result<void> writeSidecar(const std::string& videoPath, const ResultMetadata& metadata);

struct MetadataReadout {
  std::optional<ResultMetadata> metadata;  // none: the file carries no NoiseStudio metadata
  std::string parameters;                  // the "parameters" text, when present
  std::string from;                        // where it was found: "PNG iTXt" or the sidecar path
  std::vector<std::string> notes;          // damaged chunks, sidecars or envelopes (each names the file)
};

// The metadata in PNG bytes (what readResultMetadata does for a PNG; `name` goes into errors
// and notes). Error only when the bytes are not a PNG.
Result<MetadataReadout> readPngResultMetadata(const uint8_t* data, size_t size, const std::string& name);
// Reads the metadata of a result: a PNG's chunks, or a video's sidecar. Errors only for a file
// that cannot be read at all (missing, empty, not a PNG when it is named .png); everything wrong
// with the metadata itself is a note and `metadata` stays empty.
Result<MetadataReadout> readResultMetadata(const std::string& path);

}  // namespace ns::media
