# Finds third-party packages. Core needs LibTorch, spdlog, nlohmann-json; the rest only the full build.

find_package(Torch REQUIRED)
# TorchConfig adds its flags (e.g. -D_GLIBCXX_USE_CXX11_ABI) to TORCH_CXX_FLAGS; keep them per target.
find_package(Threads REQUIRED)

# spdlog and nlohmann-json: the Debian packages, or header-only copies named by NS_EXTRA_INCLUDE
# (used on GPU machines that have a CUDA LibTorch but no Debian -dev packages).
set(NS_EXTRA_INCLUDE "" CACHE PATH "Folder holding spdlog/, fmt/ and nlohmann/ headers (header-only fallback)")
add_library(ns_thirdparty INTERFACE)
if(NS_EXTRA_INCLUDE)
  # Header-only copies win over anything installed: on GPU machines LibTorch's include folder can
  # carry a newer fmt that the system's spdlog does not build with. BEFORE keeps them first.
  target_include_directories(ns_thirdparty SYSTEM BEFORE INTERFACE "${NS_EXTRA_INCLUDE}")
  target_compile_definitions(ns_thirdparty INTERFACE SPDLOG_HEADER_ONLY SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY)
else()
  find_package(spdlog REQUIRED)
  find_package(nlohmann_json REQUIRED)
  target_link_libraries(ns_thirdparty INTERFACE spdlog::spdlog nlohmann_json::nlohmann_json)
endif()

find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp HINTS "${NS_EXTRA_INCLUDE}")

if(NOISESTUDIO_BUILD_BENCH)
  find_package(benchmark QUIET)
endif()

if(NOT NOISESTUDIO_CORE_ONLY)
  find_package(Qt6 6.2 REQUIRED COMPONENTS Core Gui Widgets Test Concurrent)
  find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs videoio video photo)
  find_package(Vulkan REQUIRED COMPONENTS glslc)
  if(NOT CLI11_INCLUDE_DIR)
    message(FATAL_ERROR "CLI11 not found: install libcli11-dev")
  endif()
endif()
