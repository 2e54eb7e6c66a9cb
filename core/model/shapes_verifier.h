#pragma once
// ShapesVerifier: the built-in model's Verifier, wrapping a ShapesClassifier (torch::nn) trained
// on single-object shapes-world scenes.
//  - score(images, query): log p(colour) + log p(shape) of the query's first object (parsed from
//    the prompt with Vocabulary::parse, else query.layout[0]); words the classifier does not know
//    add nothing. A query without any object scores log p(background) when it names one, else 0.
//  - features(images): [B,featureDim] embeddings for Fréchet distances.
//  - classify(images): arg-max colour/shape/background indices into Vocabulary's lists.
// images: [B,3,H,W] in [-1,1], any device (other sizes are resized to 64×64). Outputs are CPU
// tensors. Runs in eval mode under c10::InferenceMode on the bundle's device.
// Thread: one thread at a time (the model thread).

#include <memory>
#include <string>

#include "core/model/verifier.h"

namespace ns {
namespace nn {
class ShapesClassifierImpl;
}

struct ShapesPrediction {
  at::Tensor colour, shape, background;  // [B] int64 indices into Vocabulary::colours()/shapes()/backgrounds()
  at::Tensor colourProb, shapeProb, backgroundProb;  // [B] float probability of each arg-max
};

class ShapesVerifier final : public Verifier {
 public:
  ShapesVerifier(std::shared_ptr<nn::ShapesClassifierImpl> net, std::string device);
  ~ShapesVerifier() override;
  std::string name() const override { return "builtin-shapes-classifier"; }
  at::Tensor score(const at::Tensor& images, const VerifierQuery& query) override;
  at::Tensor features(const at::Tensor& images);
  ShapesPrediction classify(const at::Tensor& images);

 private:
  std::shared_ptr<nn::ShapesClassifierImpl> m_net;
  std::string m_device;
};

}  // namespace ns
