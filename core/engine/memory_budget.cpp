#include "core/engine/memory_budget.h"

#include <dlfcn.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

namespace ns {

namespace {
std::atomic<int64_t> g_override{0};

std::optional<int64_t> memAvailableBytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  while (in >> key) {
    if (key == "MemAvailable:") {
      int64_t kb = 0;
      if (in >> kb) return kb * 1024;
      return std::nullopt;
    }
    in.ignore(1 << 12, '\n');
  }
  return std::nullopt;
}

// cudaMemGetInfo from the CUDA runtime LibTorch already loaded; absent in CPU builds.
std::optional<int64_t> cudaFreeBytes() {
  using Fn = int (*)(size_t*, size_t*);
  auto fn = reinterpret_cast<Fn>(::dlsym(RTLD_DEFAULT, "cudaMemGetInfo"));
  if (!fn) return std::nullopt;
  size_t freeBytes = 0, total = 0;
  if (fn(&freeBytes, &total) != 0) return std::nullopt;
  return int64_t(freeBytes);
}
}  // namespace

int64_t estimateMemoryBytes(const MemoryRequest& r) {
  long double bytes = 1.0L;
  for (int64_t v : {r.batch, r.frames, r.channels, r.height, r.width, r.bytesPerElement}) bytes *= (long double)(v > 0 ? v : 0);
  bytes *= (long double)(r.activationFactor > 0 ? r.activationFactor : 0);
  const long double cap = (long double)std::numeric_limits<int64_t>::max();
  return bytes >= cap ? std::numeric_limits<int64_t>::max() : int64_t(std::llround(double(bytes)));
}

std::optional<AvailableMemory> availableMemory(const std::string& device) {
  if (const int64_t o = g_override.load(); o > 0) return AvailableMemory{o, "override"};
  if (const char* env = std::getenv("NS_AVAILABLE_MEMORY_MB"); env && *env) {
    char* end = nullptr;
    const long long mb = std::strtoll(env, &end, 10);
    if (end && *end == '\0' && mb > 0) return AvailableMemory{int64_t(mb) << 20, "NS_AVAILABLE_MEMORY_MB"};
  }
  if (device.rfind("cuda", 0) == 0) {
    if (auto b = cudaFreeBytes()) return AvailableMemory{*b, "CUDA free memory"};
    return std::nullopt;
  }
  if (auto b = memAvailableBytes()) return AvailableMemory{*b, "MemAvailable"};
  return std::nullopt;
}

void setAvailableMemoryOverride(int64_t bytes) { g_override.store(bytes > 0 ? bytes : 0); }

std::string formatBytes(int64_t bytes) {
  char buf[32];
  const double b = double(bytes);
  if (b >= 1e9) std::snprintf(buf, sizeof(buf), "%.1f GB", b / 1e9);
  else if (b >= 1e6) std::snprintf(buf, sizeof(buf), "%.0f MB", b / 1e6);
  else std::snprintf(buf, sizeof(buf), "%.0f kB", b / 1e3);
  return buf;
}

Result<void> checkMemoryBudget(const std::string& what, const MemoryRequest& r, const std::string& device) {
  const auto avail = availableMemory(device);
  if (!avail) return {};
  const int64_t need = estimateMemoryBytes(r);
  if (need <= avail->bytes) return {};
  std::ostringstream m;
  m << what << ": needs about " << formatBytes(need) << " (" << r.batch << " x " << r.frames << " frames x " << r.channels
    << " x " << r.height << " x " << r.width << " x " << r.bytesPerElement << " bytes x " << r.activationFactor
    << " for activations) but " << formatBytes(avail->bytes) << " is available (" << avail->source
    << "); not started: use fewer frames or a smaller size";
  return makeError(ErrorKind::BadInput, m.str());
}

}  // namespace ns
