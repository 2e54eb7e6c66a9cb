// Result metadata on disk: a PNG's chunks, or the sidecar next to a video (result_metadata.h).
// Apart from result_metadata.cpp because it needs the video extensions (video_io, OpenCV) while
// the byte-level reading is fuzzed without OpenCV.
#include "core/media/result_metadata.h"

#include <cstdio>
#include <filesystem>

#include "core/media/video_io.h"
#include "core/util/atomic_file.h"

namespace ns::media {

namespace fs = std::filesystem;

namespace {
constexpr size_t kMaxSidecarBytes = size_t(16) << 20;
}  // namespace

std::string sidecarPath(const std::string& videoPath, ResultKind kind) {
  return videoPath + (kind == ResultKind::Project ? ".nsproj" : ".nsrecipe");
}

Result<void> writeSidecar(const std::string& videoPath, const ResultMetadata& metadata) {
  if (metadata.empty()) return {};
  // A project sidecar is a plain project file; a recipe sidecar is the envelope.
  const std::string text = metadata.kind == ResultKind::Project ? metadata.json : envelopeJson(metadata) + "\n";
  return writeFileAtomic(sidecarPath(videoPath, metadata.kind), text, BackupMode::None);
}

Result<MetadataReadout> readResultMetadata(const std::string& path) {
  MetadataReadout out;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return makeError(ErrorKind::BadInput, path + ": file not found");
  if (isVideoPath(path)) {
    for (ResultKind kind : {ResultKind::Project, ResultKind::Recipe}) {
      const std::string side = sidecarPath(path, kind);
      if (!fs::is_regular_file(side, ec)) continue;
      auto text = readFileBytes(side, kMaxSidecarBytes);
      if (!text.ok()) {
        out.notes.push_back(text.error().message);
        continue;
      }
      Result<ResultMetadata> m = makeError(ErrorKind::Internal, "");
      if (kind == ResultKind::Project) {
        auto normal = normalisedProjectJson(*text, side);
        if (normal.ok()) m = ResultMetadata{ResultKind::Project, *normal, "", -1};
        else m = normal.error();
      } else {
        m = parseEnvelope(*text, side);
        if (m.ok() && m->kind != ResultKind::Recipe) m = makeError(ErrorKind::BadInput, side + ": not a recipe");
      }
      if (!m.ok()) {
        out.notes.push_back(m.error().message);
        continue;
      }
      out.metadata = std::move(*m);
      out.from = side;
      break;
    }
    return out;
  }
  // Only PNGs carry chunks; other pictures simply have no metadata.
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return makeError(ErrorKind::Io, path + ": cannot open the file");
    uint8_t head[8] = {};
    const size_t got = std::fread(head, 1, sizeof(head), f);
    std::fclose(f);
    if (!hasPngSignature(head, got)) {
      if (fs::path(path).extension() == ".png" || fs::path(path).extension() == ".PNG")
        return makeError(ErrorKind::BadInput, path + ": not a PNG file (no PNG signature)");
      return out;
    }
  }
  auto bytes = readFileBytes(path, PngTextLimits{}.maxFileBytes);
  if (!bytes.ok()) return bytes.error();
  return readPngResultMetadata(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size(), path);
}

}  // namespace ns::media
