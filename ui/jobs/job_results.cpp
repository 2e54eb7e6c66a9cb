#include "ui/jobs/job_results.h"

#include <algorithm>

#include "core/plan/project.h"

namespace ns::ui {

std::string renderedNoiseKey(const Project& p) {
  // The JSON holds everything the noise depends on (recipe, seed, size, frames, layout, the
  // background and cut-out paths); the file path resolves the relative ones.
  return p.toJsonText() + '\n' + p.filePath;
}

bool RenderedNoise::covers(const Project& p, int frame) const {
  if (noise.empty() || noise.kind != FrameKind::Noise) return false;
  if (frame < firstFrame || frame >= firstFrame + noise.count) return false;
  return project == renderedNoiseKey(p);
}

FrameBuffer RenderedNoise::frameAt(int frame) const {
  FrameBuffer one;
  const int i = std::clamp(frame - firstFrame, 0, std::max(0, noise.count - 1));
  if (noise.empty()) return one;
  one.kind = noise.kind;
  one.count = 1;
  one.channels = noise.channels;
  one.height = noise.height;
  one.width = noise.width;
  one.data.assign(noise.frame(i), noise.frame(i) + noise.frameSize());
  return one;
}

}  // namespace ns::ui
