#pragma once
// Process-wide LibTorch set-up, called once by each executable before any job runs.

#include <string>

namespace ns {

struct RuntimeInfo {
  int threads = 1;
  bool fastBlas = false;      // OpenBLAS/MKL mapped into the process (Debian's default is reference BLAS)
  bool cudaAvailable = false;
  std::string torchVersion;
};

// Uses all hardware threads (LibTorch defaults to one here), checks which BLAS is loaded and
// warns (spdlog) when it is the slow reference BLAS or OMP_WAIT_POLICY is not PASSIVE.
RuntimeInfo initTorchRuntime(int threads = 0);
// "cpu" or "cuda" if requested and available, else "cpu" with a warning.
std::string resolveDevice(const std::string& requested);

}  // namespace ns
