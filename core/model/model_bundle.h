#pragma once
// ModelBundle: everything a job needs to run a model. Owned by the model thread; jobs borrow it.

#include <memory>
#include <string>

#include "core/model/codec.h"
#include "core/model/denoiser.h"
#include "core/model/text_conditioner.h"

namespace ns {

class Verifier;  // core/model/verifier.h: scores images for noise search and evaluation

struct ModelBundle {
  std::shared_ptr<Denoiser> denoiser;
  std::shared_ptr<Codec> codec;
  std::shared_ptr<TextConditioner> text;
  std::shared_ptr<Verifier> verifier;  // optional
  std::string sourcePath;              // folder it was loaded from
  std::string device = "cpu";          // "cpu" or "cuda"

  bool valid() const { return denoiser && codec && text; }
  int pixelSize() const { return denoiser->info().sampleSize * codec->downscale(); }
};

}  // namespace ns
