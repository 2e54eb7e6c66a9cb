#pragma once
// --context-length / --context-overlap / --context-stride / --context-fusion / --context-loop:
// how a video model denoises clips longer than its window (core/model/context_windows.h,
// docs/video.md "Context windows and FreeNoise"), shared by render, invert, edit and
// interpolate. Flags not given leave the settings they are applied to as they are (render:
// the project's render.context_windows; the other verbs: the defaults 16 / 4 / freenoise).

#include <memory>
#include <string>

#include "app/cli/cli_common.h"
#include "core/model/context_windows.h"

namespace ns::cli {

struct ContextWindowFlags {
  int length = 0, overlap = -1, stride = -1;  // not given: 0 / -1
  std::string fusion;                         // "" = not given
  bool loop = false;
  // Overrides `windows` and `fusion` with the flags that were given.
  void applyTo(ContextWindowOptions& windows, WindowFusion& fusion) const;
};

// Registers the flags on `sub`; the returned object holds their values after parsing.
std::shared_ptr<ContextWindowFlags> addContextWindowFlags(CLI::App* sub);

}  // namespace ns::cli
