#include "core/util/log.h"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace ns {

std::string userDataDir() {
  namespace fs = std::filesystem;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg) return (fs::path(xdg) / "NoiseStudio").string();
  if (const char* home = std::getenv("HOME"); home && *home)
    return (fs::path(home) / ".local" / "share" / "NoiseStudio").string();
  return (fs::temp_directory_path() / "NoiseStudio").string();
}

void initLogging(const std::string& appName, bool verbose) {
  namespace fs = std::filesystem;
  std::vector<spdlog::sink_ptr> sinks;
  auto err = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  err->set_level(verbose ? spdlog::level::debug : spdlog::level::warn);
  sinks.push_back(err);
  // The file sink is best-effort: a read-only home must not stop the app.
  try {
    const fs::path dir = fs::path(userDataDir()) / "logs";
    fs::create_directories(dir);
    auto file = std::make_shared<spdlog::sinks::rotating_file_sink_mt>((dir / (appName + ".log")).string(),
                                                                        5 * 1024 * 1024, 3);
    file->set_level(spdlog::level::debug);
    sinks.push_back(file);
  } catch (const std::exception&) {
  }
  auto logger = std::make_shared<spdlog::logger>(appName, sinks.begin(), sinks.end());
  spdlog::level::level_enum level = verbose ? spdlog::level::debug : spdlog::level::info;
  if (const char* env = std::getenv("NS_LOG_LEVEL"); env && *env) {
    level = spdlog::level::from_str(env);
    err->set_level(level);
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
}

}  // namespace ns
