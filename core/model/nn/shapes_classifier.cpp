// ShapesClassifier: the built-in verifier network (see builtin_nets.h).
#include "core/model/nn/builtin_nets.h"

namespace ns::nn {

namespace F = torch::nn::functional;

ShapesClassifierImpl::ShapesClassifierImpl(const ClassifierConfig& c) : m_config(c) {
  const std::string err = c.validate();
  TORCH_CHECK(err.empty(), "ShapesClassifier config: ", err);
  const int b = c.baseChannels;
  auto convBlock = [&c](torch::nn::Sequential& s, int in, int out, int stride) {
    s->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1)));
    s->push_back(torch::nn::GroupNorm(c.groups, out));
    s->push_back(torch::nn::SiLU());
  };
  torch::nn::Sequential trunk;
  // 64² -> 32² -> 16² -> 8² -> 4², then global average pooling.
  convBlock(trunk, 3, b, 1);
  convBlock(trunk, b, b, 2);
  convBlock(trunk, b, 2 * b, 1);
  convBlock(trunk, 2 * b, 2 * b, 2);
  convBlock(trunk, 2 * b, 4 * b, 1);
  convBlock(trunk, 4 * b, 4 * b, 2);
  convBlock(trunk, 4 * b, 4 * b, 2);
  m_trunk = register_module("trunk", trunk);
  m_feature = register_module("feature", torch::nn::Linear(4 * b, c.featureDim));
  m_colour = register_module("colour_head", torch::nn::Linear(c.featureDim, c.numColours));
  m_shape = register_module("shape_head", torch::nn::Linear(c.featureDim, c.numShapes));
  m_background = register_module("background_head", torch::nn::Linear(c.featureDim, c.numBackgrounds));
}

ClassifierOutput ShapesClassifierImpl::forward(torch::Tensor images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == 3, "ShapesClassifier: images must be [B,3,H,W], got ",
              images.sizes());
  if (images.size(2) != 64 || images.size(3) != 64)
    images = F::interpolate(images, F::InterpolateFuncOptions()
                                        .size(std::vector<int64_t>{64, 64})
                                        .mode(torch::kBilinear)
                                        .align_corners(false));
  auto h = m_trunk->forward(images).mean({2, 3});
  ClassifierOutput out;
  out.features = torch::silu(m_feature(h));
  out.colourLogits = m_colour(out.features);
  out.shapeLogits = m_shape(out.features);
  out.backgroundLogits = m_background(out.features);
  return out;
}

}  // namespace ns::nn
