#pragma once
// The engine's verbs as plain functions (DESIGN.md core/jobs): each takes a request value, a
// loaded ModelBundle and a JobContext, runs on the calling thread (the model thread in the GUI,
// main thread in the CLI), checks cancel between steps, and returns Result<...>. No global state.
// Tensors stay inside; results cross to the UI as FrameBuffer.
//
// Implemented in core/engine/*.cpp, one verb per file.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/jobs/job_context.h"
#include "core/model/model_bundle.h"
#include "core/util/frame_buffer.h"
#include "core/util/result.h"

namespace ns {

// Text-to-image (or a clip of independently seeded frames) with DDIM.
struct GenerateRequest {
  std::string prompt;
  std::string negativePrompt;  // unconditional branch; "" = the model's empty prompt
  uint64_t seed = 0;
  int steps = 30;
  double cfg = 4.0;
  double eta = 0.0;
  int size = 0;    // pixel size (square); 0 = the model's native size
  int frames = 1;  // > 1: frame i uses seed + i
};
Result<FrameBuffer> generate(ModelBundle& model, const GenerateRequest& req, JobContext& ctx);

}  // namespace ns
