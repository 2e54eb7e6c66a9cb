#pragma once
// Seeds for every random draw of the trainer: one generator per (run seed, stream, step), so a
// resumed run draws exactly what an uninterrupted one would (no RNG state to checkpoint).

#include <ATen/CPUGeneratorImpl.h>

#include <cstdint>

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
};

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline uint64_t mixSeed(uint64_t seed, SeedStream stream, uint64_t index) {
  return splitmix64(splitmix64(seed ^ (uint64_t(stream) * 0xD1B54A32D192ED03ull)) + index);
}

inline at::Generator makeGenerator(uint64_t seed, SeedStream stream, uint64_t index) {
  return at::detail::createCPUGenerator(mixSeed(seed, stream, index));
}

}  // namespace ns::train
