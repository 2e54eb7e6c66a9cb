#pragma once
// TrainOptions: what noisestudio-train's command line sets. main.cpp fills and resolves it
// (device, folders, per-device defaults); the stages only read it.

#include <cstdint>
#include <string>

namespace ns::train {

struct TrainOptions {
  std::string stage = "all";                      // autoencoder | unet | classifier | all | motion
  std::string outDir = "resources/models/builtin";  // exported model folder
  std::string workDir;                            // checkpoints (resolved: <out>/../.train-work)
  std::string device = "cpu";                     // resolved: "cpu" or "cuda"
  uint64_t seed = 1;
  int stepsAe = 4000, stepsUnet = 14000, stepsCls = 1500;
  int batchAe = 0, batchUnet = 0, batchCls = 0;   // resolved per device (0 = not yet resolved)
  double lrAe = 1e-3, lrUnet = 5e-4, lrCls = 1e-3;
  double timeBudgetMin = 0;                       // whole run; 0 = unlimited
  int dataset = 40000;                            // UNet/autoencoder scenes (classifier: see clsDataset)
  int clsDataset = 0;                             // single-object scenes for the classifier (0 = dataset/2)
  int clsHeldOut = 0;                             // held-out single-object scenes (0 = auto)
  int threads = 0;                                // 0 = all hardware threads
  bool resume = false;
  double checkpointMin = 5;
  double progressS = 5;                           // seconds between progress lines
  std::string commandLine;                        // as typed, stored in model.json
  // Motion stage (--stage motion): the frozen image model is the one in outDir.
  int stepsMotion = 20000;
  int batchMotion = 0;                            // clips per step (resolved per device)
  int framesMin = 8, framesMax = 16;              // frames per clip, drawn per step
  double lrMotion = 1e-4;                         // AnimateDiff's
  int motionHeads = 4;                            // heads of the temporal attention
  int motionHeldOut = 16;                         // held-out clips (of 8 frames) scored at start and end
  int64_t stepsThisRun = 0;                       // stop (save, export) after this many steps; 0 = no limit
  int64_t checkpointSteps = 0;                    // also checkpoint every N steps; 0 = by time only
};

}  // namespace ns::train
