#pragma once
// Seeds for every random draw of the trainer: one generator per (run seed, stream, step), so a
// resumed run draws exactly what an uninterrupted one would (no RNG state to checkpoint).

#include <ATen/CPUGeneratorImpl.h>

#include <cstdint>

#include "core/util/seed_streams.h"

namespace ns::train {

// Streams keep the draws of different purposes independent.
enum class SeedStream : uint64_t {
  Invalid = 0,
  UnetScenes,       // scenes of the autoencoder/UNet dataset
  ClassifierScenes, // single-object training scenes of the classifier
  HeldOutScenes,    // single-object held-out scenes (classifier accuracy)
  AutoencoderStep,  // batch indices of an autoencoder step
  UnetStep,         // batch indices, t, noise, caption dropout of a UNet step
  ClassifierStep,   // batch indices and augmentation of a classifier step
  Probe,            // the fixed probe batch of the UNet stage
  Init,             // network initialisation
  MotionClips,      // training clips of the motion stage (clip i of step s is index s·batch + i)
  MotionStep,       // frame count, t, noise, caption dropout of a motion step
  MotionHeldOut,    // the motion stage's held-out clips (never trained on)
};

using ns::splitmix64;  // core/util/seed_streams.h: the engine's streams use the same mixer

inline uint64_t mixSeed(uint64_t seed, SeedStream stream, uint64_t index) {
  return splitmix64(splitmix64(seed ^ (uint64_t(stream) * 0xD1B54A32D192ED03ull)) + index);
}

inline at::Generator makeGenerator(uint64_t seed, SeedStream stream, uint64_t index) {
  return at::detail::createCPUGenerator(mixSeed(seed, stream, index));
}

}  // namespace ns::train
