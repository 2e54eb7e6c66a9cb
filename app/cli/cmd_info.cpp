// `noisestudio-cli info`: versions and what this build can use (BLAS, threads, CUDA).
// `noisestudio-cli info FILE`: what a result remembers about how it was made (the project or
// edit recipe in a PNG's metadata or a video's sidecar: core/media/result_metadata.h).
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

#include "app/cli/commands.h"
#include "core/media/image_header.h"
#include "core/media/result_metadata.h"
#include "core/media/video_io.h"
#include "core/util/torch_runtime.h"

namespace ns::cli {

namespace {

// Exit 0 with the image described when only the metadata is damaged (a note); exit 2 when the
// file itself cannot be read.
int describeFile(const GlobalOptions& g, const std::string& path) {
  nlohmann::json image;
  std::string what;
  if (media::isVideoPath(path)) {
    what = "video";
    image = {{"kind", "video"}};
  } else {
    auto header = media::probeImageFile(path);
    if (!header.ok()) return reportError(g, header.error());
    what = media::toString(header->format) + " image, " + std::to_string(header->width) + "x" + std::to_string(header->height);
    image = {{"kind", "image"}, {"format", media::toString(header->format)}, {"width", header->width}, {"height", header->height}};
  }
  auto meta = media::readResultMetadata(path);
  if (!meta.ok()) return reportError(g, meta.error());
  if (g.json) {
    nlohmann::json j{{"ok", true}, {"file", path}, {"image", image}, {"notes", meta->notes}};
    if (meta->metadata) {
      const auto& m = *meta->metadata;
      const std::string kind = media::resultKindName(m.kind);
      j["metadata"] = {{"kind", kind}, {"from", meta->from}, {kind, nlohmann::json::parse(m.json)}};
      if (m.frame >= 0) j["metadata"]["frame"] = m.frame;
    } else {
      j["metadata"] = nullptr;
    }
    if (!meta->parameters.empty()) j["parameters"] = meta->parameters;
    std::cout << j.dump(2) << std::endl;
    return kExitOk;
  }
  for (const auto& n : meta->notes) std::cerr << "note: " << n << "\n";
  std::cout << path << ": " << what << "\n";
  if (!meta->metadata) {
    std::cout << (meta->notes.empty() ? "no NoiseStudio metadata\n"
                                      : "no readable NoiseStudio metadata (see the notes above)\n");
    if (!meta->parameters.empty()) std::cout << "parameters: " << meta->parameters << "\n";
    std::cout << std::flush;
    return kExitOk;
  }
  const auto& m = *meta->metadata;
  std::cout << "made by NoiseStudio: " << media::resultKindName(m.kind) << " (from " << meta->from << ")";
  if (m.frame >= 0) std::cout << ", frame " << m.frame;
  std::cout << "\n";
  if (!meta->parameters.empty()) std::cout << "parameters: " << meta->parameters << "\n";
  // The project text is a project file as written (save it as .nsproj to reopen); a recipe is
  // printed the same way.
  std::cout << m.json << (m.json.empty() || m.json.back() != '\n' ? "\n" : "") << std::flush;
  return kExitOk;
}

}  // namespace

void addInfoCommand(CLI::App& app, GlobalOptions& g, CommandTable& table) {
  auto* sub = app.add_subcommand(
      "info",
      "Show the version, LibTorch, threads, BLAS and CUDA availability; with FILE, the project or edit recipe a\n"
      "NoiseStudio result (PNG, or a video with its .nsproj/.nsrecipe sidecar) remembers");
  auto file = std::make_shared<std::string>();
  sub->add_option("file", *file, "A PNG or video NoiseStudio wrote (optional)");
  table.add(sub, [&g, file]() {
    if (!file->empty()) return describeFile(g, *file);
    const RuntimeInfo rt = initTorchRuntime();
    if (g.json) {
      nlohmann::json j{{"ok", true},          {"version", NS_VERSION}, {"torch", rt.torchVersion},
                       {"threads", rt.threads}, {"fast_blas", rt.fastBlas}, {"cuda", rt.cudaAvailable}};
      std::cout << j.dump(2) << std::endl;
    } else {
      std::cout << "NoiseStudio " << NS_VERSION << "\nLibTorch " << rt.torchVersion << ", " << rt.threads
                << " threads, fast BLAS: " << (rt.fastBlas ? "yes" : "no")
                << ", CUDA: " << (rt.cudaAvailable ? "yes" : "no") << std::endl;
    }
    return int(kExitOk);
  });
}

}  // namespace ns::cli
