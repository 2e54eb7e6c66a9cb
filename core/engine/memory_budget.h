#pragma once
// Memory budget: refuse a job whose memory estimate exceeds what the device has free, before it
// starts, instead of letting it die half way (or take the machine down) on an allocation.
//
// The estimate is deliberately simple and errs high: the pixels the job holds at once
// (batch x frames x channels x H x W x bytes per element) times a factor for the network's
// activations and intermediate copies. Available memory is MemAvailable from /proc/meminfo on the
// CPU, cudaMemGetInfo's free bytes on CUDA (looked up at run time, so CPU builds need no CUDA),
// or an override: setAvailableMemoryOverride() (tests) or NS_AVAILABLE_MEMORY_MB in the
// environment. Thread-safe.

#include <cstdint>
#include <optional>
#include <string>

#include "core/util/result.h"

namespace ns {

struct MemoryRequest {
  int64_t batch = 1;     // rows through the network at once per frame (2 with classifier-free guidance)
  int64_t frames = 1;    // frames processed together
  int64_t channels = 3;  // channels at the resolution below (3 for decoded RGB pixels)
  int64_t height = 0;
  int64_t width = 0;
  int64_t bytesPerElement = 4;  // float32
  // Activations and copies per input element: a rough allowance for a UNet's feature maps (tens of
  // channels at the input resolution) plus the decoder; not measured per model, so it errs high.
  double activationFactor = 48.0;
};

// batch x frames x channels x height x width x bytesPerElement x activationFactor, in bytes
// (saturates at INT64_MAX instead of overflowing).
int64_t estimateMemoryBytes(const MemoryRequest& request);

struct AvailableMemory {
  int64_t bytes = 0;
  std::string source;  // "MemAvailable", "CUDA free memory", "NS_AVAILABLE_MEMORY_MB", "override"
};
// Free memory for `device` ("cpu" or "cuda"); nullopt when it cannot be read (then nothing is refused).
std::optional<AvailableMemory> availableMemory(const std::string& device);
// Pretends `bytes` are available (bytes <= 0 clears the override). For tests and tools.
void setAvailableMemoryOverride(int64_t bytes);

// "1.5 GB", "300 MB", "12 kB".
std::string formatBytes(int64_t bytes);

// Ok when the estimate fits in what is available (or availability is unknown). Otherwise a
// BadInput error for a person: "<what>: needs about 12.3 GB (2 x 512 frames x 3 x 1024 x 1024 x
// 4 bytes x 48 for activations) but 3.1 GB is available (MemAvailable); ...".
Result<void> checkMemoryBudget(const std::string& what, const MemoryRequest& request, const std::string& device);

}  // namespace ns
