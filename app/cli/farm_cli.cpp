#include "app/cli/farm_cli.h"

#include <ATen/ATen.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/farm/slurm_client.h"
#include "core/farm/text_file.h"
#include "core/media/image_io.h"
#include "core/media/project_inputs.h"
#include "core/media/result_metadata.h"
#include "core/media/video_io.h"

namespace fs = std::filesystem;

namespace ns::cli {

std::string farmAbsolutePath(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec).lexically_normal();
  std::string s = a.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

Result<void> checkWritableFolder(const std::string& dir, bool& created) {
  std::error_code ec;
  created = !fs::exists(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return makeError(ErrorKind::Io, dir + ": cannot create the output folder: " + ec.message());
  if (!fs::is_directory(dir, ec)) return makeError(ErrorKind::BadInput, dir + ": exists and is not a folder");
  const std::string probe = (fs::path(dir) / ".ns-farm-write-test").string();
  if (auto w = farm::writeTextFile(probe, "ok\n"); !w.ok())
    return makeError(ErrorKind::Io, dir + ": the output folder is not writable (" + w.error().message + ")");
  fs::remove(probe, ec);
  return {};
}

Result<Project> openProjectForFarm(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return makeError(ErrorKind::BadInput, path + ": file not found");
  auto project = Project::open(path);
  if (!project.ok()) {
    Error e = project.error();
    if (e.message.find(path) == std::string::npos) e.message = path + ": " + e.message;
    e.kind = ErrorKind::BadInput;
    return e;
  }
  if (auto inputs = media::loadProjectInputs(*project); !inputs.ok()) return inputs.error();
  return project;
}

std::string projectCopyText(const Project& project) {
  Project copy = project;
  copy.background.path = copy.background.path.empty() ? "" : copy.resolvePath(copy.background.path);
  for (auto& obj : copy.objects)
    if (!obj.source.path.empty()) obj.source.path = copy.resolvePath(obj.source.path);
  return copy.toJsonText();
}

Result<void> mergeFramesToVideo(const std::function<std::string(int)>& framePath, int count, double fps,
                                const std::string& framesDir, const std::string& videoPath) {
  std::vector<int> missing;
  std::error_code ec;
  for (int f = 0; f < count; ++f)
    if (!fs::is_regular_file(framePath(f), ec)) missing.push_back(f);
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 20; ++i) list += (list.empty() ? "" : ", ") + std::to_string(missing[i]);
    if (missing.size() > 20) list += ", …";
    return makeError(ErrorKind::BadInput, framesDir + ": " + std::to_string(missing.size()) + " of " +
                                              std::to_string(count) + " frames missing (" + list + "); nothing merged");
  }
  std::vector<at::Tensor> frames;
  for (int f = 0; f < count; ++f) {
    auto img = media::readImage(framePath(f));
    if (!img.ok()) return img.error();
    if (!frames.empty() && img->sizes() != frames.front().sizes())
      return makeError(ErrorKind::BadInput, framePath(f) + ": size differs from frame 0");
    frames.push_back(*img);
  }
  if (auto w = media::writeVideo(videoPath, at::stack(frames), fps); !w.ok()) return w;
  // The frames remember how they were made (render --frames tags each PNG): so does the video,
  // through its sidecar (core/media/result_metadata.h). Frames without metadata leave none.
  auto meta = media::readResultMetadata(framePath(0));
  if (!meta.ok() || !meta->metadata) return {};
  media::ResultMetadata m = *meta->metadata;
  m.frame = -1;
  return media::writeSidecar(videoPath, m);
}

Result<void> cancelAndWait(const std::vector<std::string>& ids, const std::string& what) {
  farm::SlurmClient slurm;
  if (auto ok = slurm.checkInstalled(); !ok.ok()) return ok.error();
  if (auto c = slurm.cancel(ids); !c.ok()) return c.error();
  // Wait until no task of ours runs any more: only then can no output appear after the clean-up.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (;;) {
    auto tasks = slurm.query(ids);
    if (!tasks.ok()) return tasks.error();
    bool live = false;
    for (const auto& t : *tasks) live |= !farm::SlurmClient::isFinished(t.state);
    if (!live) return {};
    if (std::chrono::steady_clock::now() > deadline)
      return makeError(ErrorKind::Io, "scancel " + what + ": tasks still running after 120 s; run 'farm cancel' again");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

}  // namespace ns::cli
