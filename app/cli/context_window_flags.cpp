#include "app/cli/context_window_flags.h"

namespace ns::cli {

void ContextWindowFlags::applyTo(ContextWindowOptions& windows, WindowFusion& f) const {
  if (length > 0) windows.length = length;
  if (overlap >= 0) windows.overlap = overlap;
  if (stride >= 0) windows.stride = stride;
  if (loop) windows.loop = true;
  if (!fusion.empty()) windowFusionFromString(fusion, f);  // the flag's check already refused other names
}

std::shared_ptr<ContextWindowFlags> addContextWindowFlags(CLI::App* sub) {
  auto f = std::make_shared<ContextWindowFlags>();
  const std::string group = "Video models: clips longer than a window";
  sub->add_option("--context-length", f->length, "Frames per context window (default 16; at most the motion "
                                                 "module's position table)")
      ->check(CLI::Range(1, 1024))->group(group);
  sub->add_option("--context-overlap", f->overlap, "Frames shared by consecutive windows (default 4)")
      ->check(CLI::Range(0, 1023))->group(group);
  sub->add_option("--context-stride", f->stride, "Window start step (0 = length - overlap)")
      ->check(CLI::Range(0, 1024))->group(group);
  sub->add_option("--context-fusion", f->fusion, "freenoise (fuse temporal attention across windows, default) or "
                                                 "average (plain sliding windows)")
      ->check(CLI::IsMember({"freenoise", "average"}))->group(group);
  sub->add_flag("--context-loop", f->loop, "Windows wrap around the clip's end (looping clips)")->group(group);
  return f;
}

}  // namespace ns::cli
