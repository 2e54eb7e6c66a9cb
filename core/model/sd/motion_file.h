#pragma once
// Reading an AnimateDiff motion-module file (issue 16): .safetensors (mapped) or .ckpt/.pt/.pth
// through the restricted pickle reader (no code from the file runs), in the original AnimateDiff
// names or diffusers' MotionAdapter names. Names are canonicalised and the layout read from the
// weights (motion_config.h) before anything is built; nothing big is allocated here.

#include <cstdint>
#include <string>

#include "core/model/sd/motion_config.h"

namespace ns::sd {

struct MotionModuleFile {
  std::string source;
  MotionConfig config;
  WeightMap weights;  // canonical names, as stored (views of the file)
  uint64_t fileBytes = 0;
};

// True for the extensions readMotionModuleFile reads.
bool isMotionModulePath(const std::string& path);

Result<MotionModuleFile> readMotionModuleFile(const std::string& path, int heads = 8);

// The same from a state dict already read (tests, the fuzz target): canonicalise and infer.
Result<MotionModuleFile> motionModuleFromWeights(const WeightMap& stored, const std::string& source, int heads = 8);

}  // namespace ns::sd
