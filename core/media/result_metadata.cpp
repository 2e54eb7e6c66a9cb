#include "core/media/result_metadata.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

#include "core/plan/project.h"

namespace ns::media {

namespace fs = std::filesystem;
using OrderedJson = nlohmann::ordered_json;

namespace {

constexpr const char* kFormat = "noisestudio-result";
constexpr int kVersion = 1;

std::string numberText(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

// "Key: value" for a recipe field that is present and a scalar.
void addField(std::vector<std::string>& parts, const OrderedJson& j, const char* key, const char* label) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null() || it->is_object() || it->is_array()) return;
  if (it->is_string()) {
    if (!it->get<std::string>().empty()) parts.push_back(std::string(label) + ": " + it->get<std::string>());
  } else if (it->is_number_float()) {
    parts.push_back(std::string(label) + ": " + numberText(it->get<double>()));
  } else {
    parts.push_back(std::string(label) + ": " + it->dump());
  }
}

std::string joinParts(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : ", ") + p;
  return s;
}

}  // namespace

// A project as its metadata stores it: valid, in the current schema.
Result<std::string> normalisedProjectJson(const std::string& text, const std::string& name) {
  auto project = Project::fromJsonText(text, {}, name);
  if (!project.ok()) return project.error();
  return project->toJsonText();
}

std::string resultKindName(ResultKind k) {
  switch (k) {
    case ResultKind::Project: return "project";
    case ResultKind::Recipe: return "recipe";
    default: return "invalid";
  }
}

ResultMetadata projectMetadata(const Project& project) {
  Project copy = project;
  // The result may be written anywhere: relative source paths would then name other files.
  copy.background.path = copy.resolvePath(copy.background.path);
  for (ProjectObject& o : copy.objects) o.source.path = copy.resolvePath(o.source.path);
  ResultMetadata m;
  m.kind = ResultKind::Project;
  m.json = copy.toJsonText();
  std::string summary = fullPrompt(copy);
  if (!copy.negativePrompt.empty()) summary += "\nNegative prompt: " + copy.negativePrompt;
  summary += "\n" + joinParts({"Steps: " + std::to_string(copy.render.steps), "Sampler: DDIM",
                               "CFG scale: " + numberText(copy.render.cfg), "Seed: " + std::to_string(copy.seed),
                               "Size: " + std::to_string(copy.width) + "x" + std::to_string(copy.height),
                               "Model: " + copy.model, "Noise ratio: " + numberText(copy.render.noiseRatio),
                               "Frames: " + std::to_string(copy.frames)});
  m.summary = summary;
  return m;
}

ResultMetadata recipeMetadata(const std::string& recipeJson) {
  ResultMetadata m;
  m.kind = ResultKind::Recipe;
  m.json = recipeJson;
  OrderedJson j = OrderedJson::parse(recipeJson, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return m;  // callers build recipes with nlohmann; this is not reached
  std::vector<std::string> parts;
  addField(parts, j, "steps", "Steps");
  addField(parts, j, "sampler", "Sampler");
  addField(parts, j, "cfg", "CFG scale");
  addField(parts, j, "seed", "Seed");
  addField(parts, j, "skip", "Skip");
  addField(parts, j, "size", "Size");
  addField(parts, j, "model", "Model");
  addField(parts, j, "verb", "NoiseStudio");
  std::string prompt = j.contains("prompt") && j["prompt"].is_string() ? j["prompt"].get<std::string>() : "";
  m.summary = prompt + "\n" + joinParts(parts);
  return m;
}

std::string envelopeJson(const ResultMetadata& metadata) {
  OrderedJson env;
  env["format"] = kFormat;
  env["version"] = kVersion;
  env["kind"] = resultKindName(metadata.kind);
  if (metadata.frame >= 0) env["frame"] = metadata.frame;
  env[resultKindName(metadata.kind)] = OrderedJson::parse(metadata.json);
  return env.dump();
}

Result<ResultMetadata> parseEnvelope(const std::string& text, const std::string& name) {
  OrderedJson env = OrderedJson::parse(text, nullptr, /*allow_exceptions=*/false);
  if (env.is_discarded()) return makeError(ErrorKind::BadInput, name + ": the NoiseStudio metadata is not valid JSON");
  if (!env.is_object()) return makeError(ErrorKind::BadInput, name + ": the NoiseStudio metadata is not a JSON object");
  auto format = env.find("format");
  if (format == env.end() || !format->is_string() || *format != kFormat)
    return makeError(ErrorKind::BadInput, name + ": the NoiseStudio metadata has no \"format\": \"" + kFormat + "\"");
  auto version = env.find("version");
  if (version == env.end() || !version->is_number_integer())
    return makeError(ErrorKind::BadInput, name + ": the NoiseStudio metadata has no integer \"version\"");
  if (*version != kVersion)
    return makeError(ErrorKind::BadInput, name + ": NoiseStudio metadata version " + version->dump() +
                                              " is not supported (this build reads version " + std::to_string(kVersion) + ")");
  auto kind = env.find("kind");
  ResultMetadata m;
  if (kind != env.end() && *kind == "project") m.kind = ResultKind::Project;
  else if (kind != env.end() && *kind == "recipe") m.kind = ResultKind::Recipe;
  else return makeError(ErrorKind::BadInput, name + ": the NoiseStudio metadata's \"kind\" is neither \"project\" nor \"recipe\"");
  auto payload = env.find(resultKindName(m.kind));
  if (payload == env.end() || !payload->is_object())
    return makeError(ErrorKind::BadInput, name + ": the NoiseStudio metadata has no \"" + resultKindName(m.kind) + "\" object");
  if (auto frame = env.find("frame"); frame != env.end()) {
    if (!frame->is_number_integer() || *frame < 0 || *frame > 1000000)
      return makeError(ErrorKind::BadInput, name + ": the NoiseStudio metadata's \"frame\" is not a frame index");
    m.frame = frame->get<int>();
  }
  if (m.kind == ResultKind::Project) {
    auto normal = normalisedProjectJson(payload->dump(), name + " (embedded project)");
    if (!normal.ok()) return normal.error();
    m.json = std::move(*normal);
  } else {
    m.json = payload->dump(2);
  }
  return m;
}

std::vector<PngTextEntry> metadataPngText(const ResultMetadata& metadata) {
  if (metadata.empty()) return {};
  std::vector<PngTextEntry> out;
  out.push_back({kPngMetadataKeyword, envelopeJson(metadata), /*international=*/true});
  if (!metadata.summary.empty()) out.push_back({kPngSummaryKeyword, metadata.summary, /*international=*/false});
  out.push_back({"Software", std::string("NoiseStudio ") + NS_VERSION, /*international=*/false});
  return out;
}

Result<MetadataReadout> readPngResultMetadata(const uint8_t* data, size_t size, const std::string& name) {
  auto text = readPngText(data, size, name);
  if (!text.ok()) return text.error();
  MetadataReadout out;
  out.notes = text->notes;
  for (const PngTextEntry& e : text->entries) {
    if (e.keyword == kPngSummaryKeyword && out.parameters.empty()) out.parameters = e.text;
    if (e.keyword != kPngMetadataKeyword || out.metadata) continue;
    auto m = parseEnvelope(e.text, name);
    if (!m.ok()) {
      out.notes.push_back(m.error().message);
      continue;
    }
    out.metadata = std::move(*m);
    out.from = "PNG iTXt";
  }
  if (out.metadata) out.metadata->summary = out.parameters;
  return out;
}

}  // namespace ns::media
