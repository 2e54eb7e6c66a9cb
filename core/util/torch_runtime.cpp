#include "core/util/torch_runtime.h"

#include <ATen/Parallel.h>
#include <ATen/Context.h>
#include <torch/cuda.h>
#include <torch/version.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

namespace ns {

namespace {
// Which BLAS is mapped: /proc/self/maps names the shared objects actually loaded.
bool fastBlasLoaded() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("openblas") != std::string::npos || line.find("libmkl") != std::string::npos ||
        line.find("blis") != std::string::npos)
      return true;
  }
  return false;
}
}  // namespace

RuntimeInfo initTorchRuntime(int threads) {
  RuntimeInfo info;
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  info.threads = at::get_num_threads();
  info.fastBlas = fastBlasLoaded();
  info.cudaAvailable = torch::cuda::is_available();
  info.torchVersion = TORCH_VERSION;
  if (!info.fastBlas)
    spdlog::warn("No fast BLAS (OpenBLAS/MKL) is loaded: matrix products will be 25-40x slower. "
                 "Install libopenblas0-openmp.");
  const char* wait = std::getenv("OMP_WAIT_POLICY");
  if (!wait || std::string(wait) != "PASSIVE")
    spdlog::debug("OMP_WAIT_POLICY is not PASSIVE: OpenMP threads spin and slow down busy machines "
                  "(the launcher scripts set it).");
  spdlog::info("LibTorch {} with {} threads, fast BLAS: {}, CUDA: {}", info.torchVersion, info.threads,
               info.fastBlas, info.cudaAvailable);
  return info;
}

std::string resolveDevice(const std::string& requested) {
  if (requested == "cuda") {
    if (torch::cuda::is_available()) return "cuda";
    spdlog::warn("CUDA was requested but is not available; using the CPU");
  }
  return "cpu";
}

}  // namespace ns
