#pragma once
// Verifier: scores images for noise search and evaluation (higher is better).
// Built-ins: the shipped shapes classifier (prompt agreement) and layout IoU for projects.

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/model/scene.h"

namespace ns {

struct VerifierQuery {
  std::string prompt;               // what the image should show
  std::vector<SceneObject> layout;  // optional planned objects (colour, shape, box)
};

class Verifier {
 public:
  virtual ~Verifier() = default;
  virtual std::string name() const = 0;
  // images: [B,3,H,W] in [-1,1]. Returns [B] float scores, higher is better.
  virtual at::Tensor score(const at::Tensor& images, const VerifierQuery& query) = 0;
};

}  // namespace ns
