#pragma once
// Shared helpers for the libFuzzer targets in tests/fuzz (built with -DNOISESTUDIO_FUZZ=ON and
// clang; scripts/fuzz.sh builds and runs them). A target's contract: the loader must return a
// Result for every input — a crash, a sanitizer report or an uncaught exception is a bug.

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace nsfuzz {

// Loaders log warnings for bad files; at tens of thousands of inputs a second that is all noise.
inline void quietLogs() { spdlog::set_level(spdlog::level::off); }

// A per-process scratch file for loaders that only take a path. /dev/shm when it exists, so the
// write per input stays in memory.
inline const std::string& scratchPath(const char* suffix) {
  static const std::string path = [suffix] {
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return std::string(dir) + "/ns_fuzz_" + std::to_string(getpid()) + suffix;
  }();
  return path;
}

inline void writeFile(const std::string& path, const uint8_t* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) std::abort();  // the harness itself failed, not the loader
  if (size && std::fwrite(data, 1, size, f) != size) std::abort();
  std::fclose(f);
}

// An invariant of the loader failed on an input it accepted: report and crash so libFuzzer
// saves the input.
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz invariant failed: %s\n", what.c_str());
  std::abort();
}

}  // namespace nsfuzz
