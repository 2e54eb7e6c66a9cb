#include "ui/preview/preview_fallback_view.h"

#include <QPainter>

#include "ui/preview/reference_render.h"

namespace ns::ui {

PreviewFallbackView::PreviewFallbackView(PreviewScene* scene, QWidget* parent) : PreviewInputView(parent), m_scene(scene) {}

void PreviewFallbackView::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.fillRect(rect(), QColor::fromRgbF(0.16f, 0.16f, 0.16f));
  const PreviewScene::Snapshot snap = m_scene->snapshot();
  if (!snap.primary || snap.primary->empty()) return;
  const PreviewParams& p = m_scene->params;
  const auto key = std::make_tuple(snap.primaryGen, snap.secondaryGen, int(p.mode), clampFrame(*snap.primary, p.frame),
                                   p.noiseChannel, p.splitFraction, p.onionAlpha);
  if (m_image.isNull() || key != m_imageKey) {
    m_image = referenceRender(*snap.primary, p, snap.secondary.get());
    m_imageKey = key;
  }
  const QSize image(snap.primary->width, snap.primary->height);
  const ViewLayout l = m_scene->layout(QSizeF(size()), image);
  // Nearest-neighbour scaling, like the Vulkan path's per-pixel buffer reads.
  painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
  painter.drawImage(QRectF(l.origin, QSizeF(image) * l.scale), m_image);
  if (p.mode == PreviewMode::SplitAB && snap.secondary && !snap.secondary->empty()) {
    const double x = l.origin.x() + p.splitFraction * image.width() * l.scale;
    painter.setPen(QPen(Qt::white, 2.0));
    painter.drawLine(QPointF(x, l.origin.y()), QPointF(x, l.origin.y() + image.height() * l.scale));
  }
  emit frameRendered(clampFrame(*snap.primary, p.frame));
}

}  // namespace ns::ui
