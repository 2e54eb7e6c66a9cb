#pragma once
// LayoutIouVerifier: scores how well an image follows a planned layout. Each planned object is
// looked for by colour: pixels are classified into the vocabulary's named colours (hue,
// saturation and value thresholds, so shading keeps a colour's name), the largest 4-connected
// blob of the object's colour gives its box, and the score is the mean IoU of those boxes with
// the planned ones (0 for an object that is not found). Objects of the same colour all use the
// largest blob of that colour. An empty layout scores 0.
// Thread: stateless; score() may run on any thread.

#include <ATen/core/Tensor.h>

#include <optional>
#include <string>
#include <vector>

#include "core/model/scene.h"
#include "core/model/verifier.h"

namespace ns {

class LayoutIouVerifier : public Verifier {
 public:
  std::string name() const override { return "layout-iou"; }
  // images [B,3,H,W] (or [3,H,W]) in [-1,1] -> [B] float32 mean IoU in [0,1].
  at::Tensor score(const at::Tensor& images, const VerifierQuery& query) override;

  // Box of the largest blob of `colour` in image [3,H,W] in [-1,1]; nullopt when the colour is
  // unknown or no blob of at least minPixels (default: 0.05% of the image, at least 4) exists.
  static std::optional<NormBox> findObjectBox(const at::Tensor& image, const std::string& colour, int minPixels = 0);
  // Colour name of one RGB pixel in [0,1] ("" for greys and unnamed colours).
  static std::string classify(float r, float g, float b);
  // The colour names classify() can return (the vocabulary's colours).
  static const std::vector<std::string>& colourNames();
};

}  // namespace ns
