#include "core/model/shapes_verifier.h"

#include <c10/core/InferenceMode.h>

#include "core/model/nn/builtin_nets.h"
#include "core/model/vocabulary.h"

namespace ns {

ShapesVerifier::ShapesVerifier(std::shared_ptr<nn::ShapesClassifierImpl> net, std::string device)
    : m_net(std::move(net)), m_device(std::move(device)) {
  TORCH_CHECK(m_net, "ShapesVerifier: no network");
  m_net->eval();
}

ShapesVerifier::~ShapesVerifier() = default;

at::Tensor ShapesVerifier::score(const at::Tensor& images, const VerifierQuery& query) {
  c10::InferenceMode guard;
  SceneSpec spec = Vocabulary::parse(query.prompt);
  if (spec.objects.empty() && !query.layout.empty()) spec.objects.push_back(query.layout.front());
  auto out = m_net->forward(images.to(at::Device(m_device), at::kFloat));
  at::Tensor total = at::zeros({images.size(0)}, out.colourLogits.options());
  // Indices past the classifier's heads (a vocabulary grown after training) count as unknown.
  auto addLogProb = [&total](const at::Tensor& logits, int index) {
    if (index >= 0 && index < logits.size(1)) total = total + at::log_softmax(logits, 1).select(1, index);
  };
  if (!spec.objects.empty()) {
    addLogProb(out.colourLogits, Vocabulary::indexOf(Vocabulary::colours(), spec.objects.front().colour));
    addLogProb(out.shapeLogits, Vocabulary::indexOf(Vocabulary::shapes(), spec.objects.front().shape));
  } else if (!spec.background.empty()) {
    addLogProb(out.backgroundLogits, Vocabulary::indexOf(Vocabulary::backgrounds(), spec.background));
  }
  return total.to(at::kCPU);
}

at::Tensor ShapesVerifier::features(const at::Tensor& images) {
  c10::InferenceMode guard;
  return m_net->forward(images.to(at::Device(m_device), at::kFloat)).features.to(at::kCPU);
}

ShapesPrediction ShapesVerifier::classify(const at::Tensor& images) {
  c10::InferenceMode guard;
  auto out = m_net->forward(images.to(at::Device(m_device), at::kFloat));
  ShapesPrediction p;
  auto pick = [](const at::Tensor& logits, at::Tensor& index, at::Tensor& prob) {
    auto [v, i] = at::softmax(logits, 1).max(1);
    index = i.to(at::kCPU);
    prob = v.to(at::kCPU);
  };
  pick(out.colourLogits, p.colour, p.colourProb);
  pick(out.shapeLogits, p.shape, p.shapeProb);
  pick(out.backgroundLogits, p.background, p.backgroundProb);
  return p;
}

}  // namespace ns
