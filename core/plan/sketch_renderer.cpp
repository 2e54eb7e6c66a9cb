// SketchRenderer: background, then each object's layer in z order, then the analytic flow and
// occlusion. Per-pixel work is plain loops over raw float buffers (a few objects over a small
// canvas: cheaper and clearer than building sampling grids per object and frame).
#include "core/plan/sketch_renderer.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/plan/scene_palette.h"
#include "core/plan/scene_shape.h"
#include "core/plan/sketch_renderer_layer.h"

namespace ns {
namespace {

using sketch::SketchLayer;
using sketch::SketchXform;

std::string shapeText(const at::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}

std::array<float, 3> toFloat(const Rgb8& c) { return {c.r / 255.f, c.g / 255.f, c.b / 255.f}; }

// Background frames [Fb,3,H,W] in [0,1], Fb = 1 or the provided video's length.
Result<at::Tensor> backgroundFrames(const Project& p, const SketchInputs& in) {
  const int H = p.height, W = p.width;
  if (in.background.defined()) {
    at::Tensor t = in.background.detach().to(at::kCPU, at::kFloat);
    if (t.dim() == 3) t = t.unsqueeze(0);
    if (t.dim() != 4 || t.size(1) != 3 || t.size(0) < 1 || t.size(2) < 1 || t.size(3) < 1)
      return makeError(ErrorKind::BadInput, "background: expected [3,H,W] or [F,3,H,W] in [-1,1], got " +
                                                shapeText(in.background));
    t = ((t + 1.0) * 0.5).clamp(0.0, 1.0);
    if (t.size(2) != H || t.size(3) != W) {
      // Area averaging when shrinking (no aliasing), bilinear when enlarging.
      if (t.size(2) >= H && t.size(3) >= W) t = at::adaptive_avg_pool2d(t, {H, W});
      else t = at::upsample_bilinear2d(t, {H, W}, /*align_corners=*/false);
    }
    return t.contiguous();
  }
  const Background& b = p.background;
  switch (b.kind) {
    case BackgroundKind::Colour: {
      const auto c = toFloat(b.colour);
      at::Tensor t = at::empty({1, 3, H, W}, at::kFloat);
      for (int ch = 0; ch < 3; ++ch) t[0][ch].fill_(c[size_t(ch)]);
      return t;
    }
    case BackgroundKind::Gradient: {
      const auto c0 = toFloat(b.colour), c1 = toFloat(b.colour2);
      const bool vertical = b.direction != GradientDirection::Horizontal;
      const int n = vertical ? H : W;
      // Pixel centres from the first to the last edge: (i + 0.5) / n.
      at::Tensor s = (at::arange(n, at::kFloat) + 0.5) / double(n);
      at::Tensor t = at::empty({1, 3, H, W}, at::kFloat);
      for (int ch = 0; ch < 3; ++ch) {
        at::Tensor line = c0[size_t(ch)] + s * (c1[size_t(ch)] - c0[size_t(ch)]);
        t[0][ch].copy_(vertical ? line.view({H, 1}).expand({H, W}) : line.view({1, W}).expand({H, W}));
      }
      return t;
    }
    case BackgroundKind::ImageFile:
    case BackgroundKind::VideoFile:
      return makeError(ErrorKind::BadInput, "background.path: \"" + b.path +
                                                "\" must be loaded by the caller and passed as the sketch background");
    case BackgroundKind::Generate:
      return makeError(ErrorKind::BadInput, "background.prompt: the generated background (\"" + b.prompt +
                                                "\") must be rendered by the caller and passed as the sketch background");
    default: return makeError(ErrorKind::BadInput, "background.kind: not set");
  }
}

// Premultiplied sprite, pre-shrunk by area averaging when it is much larger than its biggest box
// (bilinear sampling alone would alias a big cut-out pasted small).
at::Tensor prepareSprite(const Sprite& sprite, double maxBoxW, double maxBoxH) {
  const at::Tensor& rgba = sprite.rgba();
  at::Tensor pm = at::cat({rgba.slice(0, 0, 3) * rgba.slice(0, 3, 4), rgba.slice(0, 3, 4)}, 0);
  const int64_t h = pm.size(1), w = pm.size(2);
  const int64_t th = h > 2.0 * maxBoxH ? std::max<int64_t>(1, int64_t(std::ceil(maxBoxH))) : h;
  const int64_t tw = w > 2.0 * maxBoxW ? std::max<int64_t>(1, int64_t(std::ceil(maxBoxW))) : w;
  if (th != h || tw != w) pm = at::adaptive_avg_pool2d(pm.unsqueeze(0), {th, tw}).squeeze(0);
  return pm.contiguous();
}

}  // namespace

Result<Sketch> SketchRenderer::render(const Project& p, const SketchInputs& in) const {
  Result<void> valid = p.validate();
  if (!valid.ok()) return valid.error();
  const int F = p.frames, H = p.height, W = p.width;
  const size_t O = p.objects.size();

  Result<at::Tensor> bgr = backgroundFrames(p, in);
  if (!bgr.ok()) return bgr.error();
  const at::Tensor bg = bgr.value();
  const int64_t bgFrames = bg.size(0);

  Sketch out;
  out.poses.assign(size_t(F), std::vector<Pose>(O));
  std::vector<std::vector<SketchXform>> xf(static_cast<size_t>(F), std::vector<SketchXform>(O));
  for (int f = 0; f < F; ++f)
    for (size_t o = 0; o < O; ++o) {
      out.poses[size_t(f)][o] = p.objects[o].trajectory.poseAt(f);
      xf[size_t(f)][o] = SketchXform::fromPose(out.poses[size_t(f)][o], W, H);
    }

  const float outlinePx = m_style.outlinePx >= 0 ? m_style.outlinePx : std::max(1.f, std::min(W, H) / 64.f);
  std::vector<SketchLayer> layers;
  layers.reserve(O);
  for (size_t o = 0; o < O; ++o) {
    const ProjectObject& obj = p.objects[o];
    const std::string path = "objects[" + std::to_string(o) + "]";
    if (obj.source.kind == SourceKind::BuiltinShape) {
      std::array<float, 3> fill{};
      const scene::ShapeKind kind = scene::SceneShape::fromName(obj.source.shape);
      if (kind == scene::ShapeKind::Invalid || !ScenePalette::rgb(obj.source.colour, fill))
        return makeError(ErrorKind::BadInput, path + ".source: cannot draw a " + obj.source.colour + " " + obj.source.shape);
      std::array<float, 3> outline{fill[0] * m_style.outlineDarken, fill[1] * m_style.outlineDarken,
                                   fill[2] * m_style.outlineDarken};
      layers.push_back(SketchLayer::shape(kind, fill, outline, outlinePx));
      continue;
    }
    auto it = in.sprites.find(obj.id);
    if ((it == in.sprites.end() || !it->second.valid()) && obj.source.kind == SourceKind::Generate)
      return makeError(ErrorKind::BadInput, path + ".source: the object \"" + obj.id +
                                                "\" is generated by the model: plan it first (planWithModel) and pass its sprite");
    if (it == in.sprites.end() || !it->second.valid())
      return makeError(ErrorKind::BadInput, path + ".source.path: the image \"" + obj.source.path +
                                                "\" has not been loaded (pass its sprite under id \"" + obj.id + "\")");
    double maxW = 1, maxH = 1;
    for (int f = 0; f < F; ++f) {
      maxW = std::max(maxW, 2 * xf[size_t(f)][o].hw);
      maxH = std::max(maxH, 2 * xf[size_t(f)][o].hh);
    }
    layers.push_back(SketchLayer::sprite(prepareSprite(it->second, maxW, maxH)));
  }
  const std::vector<int> order = p.drawOrder();

  out.frames = at::empty({F, 3, H, W}, at::kFloat);
  out.objectIndex = at::full({F, H, W}, -1, at::kLong);
  const int64_t F1 = std::max(0, F - 1);
  out.flow = at::zeros({F1, 2, H, W}, at::kFloat);
  out.occlusion = at::zeros({F1, 1, H, W}, at::kFloat);
  const size_t plane = size_t(H) * W;
  float* framesPx = out.frames.data_ptr<float>();
  int64_t* idxPx = out.objectIndex.data_ptr<int64_t>();
  const float* bgPx = bg.data_ptr<float>();

  at::parallel_for(0, F, 1, [&](int64_t begin, int64_t end) {
    for (int64_t f = begin; f < end; ++f) {
      float* img = framesPx + size_t(f) * 3 * plane;
      int64_t* idx = idxPx + size_t(f) * plane;
      std::copy_n(bgPx + size_t(std::min<int64_t>(f, bgFrames - 1)) * 3 * plane, 3 * plane, img);
      for (int o : order) {
        const SketchXform& x = xf[size_t(f)][size_t(o)];
        const SketchLayer& layer = layers[size_t(o)];
        int x0, y0, x1, y1;
        x.pixelBounds(W, H, x0, y0, x1, y1);
        for (int y = y0; y < y1; ++y)
          for (int xx = x0; xx < x1; ++xx) {
            double u, v;
            x.toLocal(xx + 0.5, y + 0.5, u, v);
            float rgb[3], a;
            layer.sample(u, v, x, rgb, a);
            if (a <= 0.f) continue;
            const size_t i = size_t(y) * W + xx;
            for (int ch = 0; ch < 3; ++ch) img[ch * plane + i] = rgb[ch] + (1.f - a) * img[ch * plane + i];
            if (a >= 0.5f) idx[i] = o;
          }
      }
      for (size_t i = 0; i < 3 * plane; ++i) img[i] = img[i] * 2.f - 1.f;
    }
  });

  // Position of each object in the draw order, to find the objects in front of it.
  std::vector<size_t> rank(O);
  for (size_t r = 0; r < order.size(); ++r) rank[size_t(order[r])] = r;
  float* flowPx = out.flow.data_ptr<float>();
  float* occPx = out.occlusion.data_ptr<float>();
  at::parallel_for(0, F1, 1, [&](int64_t begin, int64_t end) {
    for (int64_t f = begin; f < end; ++f) {
      const int64_t* idx = idxPx + size_t(f) * plane;
      const int64_t* idxNext = idxPx + size_t(f + 1) * plane;
      float* fx = flowPx + size_t(f) * 2 * plane;
      float* fy = fx + plane;
      float* occ = occPx + size_t(f) * plane;
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
          const size_t i = size_t(y) * W + x;
          const int64_t o = idx[i];
          if (o < 0) {
            occ[i] = idxNext[i] >= 0 ? 1.f : 0.f;  // background covered by an object next frame
            continue;
          }
          double u, v, nx, ny;
          xf[size_t(f)][size_t(o)].toLocal(x + 0.5, y + 0.5, u, v);
          xf[size_t(f + 1)][size_t(o)].toCanvas(u, v, nx, ny);
          fx[i] = float(nx - (x + 0.5));
          fy[i] = float(ny - (y + 0.5));
          bool hidden = nx < 0 || ny < 0 || nx >= W || ny >= H;
          for (size_t r = rank[size_t(o)] + 1; !hidden && r < order.size(); ++r) {
            const size_t o2 = size_t(order[r]);
            const SketchXform& x2 = xf[size_t(f + 1)][o2];
            double u2, v2;
            x2.toLocal(nx, ny, u2, v2);
            hidden = layers[o2].alpha(u2, v2, x2) >= 0.5f;
          }
          occ[i] = hidden ? 1.f : 0.f;
        }
    }
  });
  return out;
}

}  // namespace ns
