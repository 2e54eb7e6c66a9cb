#include "ui/preview/preview_scene.h"

#include <algorithm>
#include <cmath>

#include "ui/preview/reference_render.h"

namespace ns::ui {

void PreviewScene::setPrimary(FramesPtr frames) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_primary = std::move(frames);
  ++m_primaryGen;
}

void PreviewScene::setSecondary(FramesPtr frames) {
  std::lock_guard<std::mutex> lock(m_mutex);
  m_secondary = std::move(frames);
  ++m_secondaryGen;
}

PreviewScene::Snapshot PreviewScene::snapshot() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return {m_primary, m_secondary, m_primaryGen, m_secondaryGen};
}

ViewLayout PreviewScene::layout(QSizeF view, QSize image) const {
  ViewLayout l;
  if (image.isEmpty() || view.isEmpty()) return l;
  const double fit = std::min(view.width() / image.width(), view.height() / image.height());
  l.scale = fit * zoom;
  l.origin = QPointF((view.width() - image.width() * l.scale) * 0.5, (view.height() - image.height() * l.scale) * 0.5) + pan;
  return l;
}

QPointF PreviewScene::viewToImage(QPointF viewPos, QSizeF view, QSize image) const {
  const ViewLayout l = layout(view, image);
  return (viewPos - l.origin) / l.scale;
}

void PreviewScene::zoomAbout(double factor, QPointF anchor, QSizeF view, QSize image) {
  if (image.isEmpty() || view.isEmpty()) return;
  const QPointF before = viewToImage(anchor, view, image);
  zoom = std::clamp(zoom * factor, 0.05, 256.0);
  // Solve for the pan that maps `before` back under the anchor.
  const ViewLayout l = layout(view, image);
  const QPointF now = l.origin + before * l.scale;
  pan += anchor - now;
}

float PreviewScene::mapParameter(const FramesPtr& frames, uint64_t gen, bool secondary, int frame, ColourMap map,
                                 int channel) {
  if (!frames || map == ColourMap::Rgb) return 1.f;
  const int f = clampFrame(*frames, frame);
  const int c = map == ColourMap::Heat ? channel : 0;
  const auto key = std::make_tuple(gen, secondary, f, int(map), c);
  auto it = m_paramCache.find(key);
  if (it != m_paramCache.end()) return it->second;
  if (m_paramCache.size() > 256) m_paramCache.clear();  // old generations are never asked again
  const float v = colourMapParameter(*frames, f, map, c);
  m_paramCache.emplace(key, v);
  return v;
}

}  // namespace ns::ui
