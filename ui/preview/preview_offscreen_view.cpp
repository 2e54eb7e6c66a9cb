#include "ui/preview/preview_offscreen_view.h"

#include <QPainter>

#include "ui/preview/preview_offscreen_renderer.h"

namespace ns::ui {

PreviewOffscreenView::PreviewOffscreenView(QVulkanInstance* instance, VkPhysicalDevice physicalDevice,
                                           PreviewScene* scene, QWidget* parent)
    : PreviewInputView(parent), m_scene(scene) {
  // Queued: the widget replaces this view, which must not happen inside its own paint event.
  // (The renderer lives in this view, so `this` is valid whenever it reports.)
  m_renderer = std::make_unique<PreviewOffscreenRenderer>(instance, physicalDevice, scene, [this](const QString& reason) {
    QMetaObject::invokeMethod(this, [this, reason] { emit failed(reason); }, Qt::QueuedConnection);
  });
}

PreviewOffscreenView::~PreviewOffscreenView() = default;

bool PreviewOffscreenView::create() { return m_renderer->create(); }

PreviewOffscreenView::PictureKey PreviewOffscreenView::pictureKey(QSize pixels, qreal dpr) const {
  const PreviewScene::Snapshot snap = m_scene->snapshot();
  const PreviewParams& p = m_scene->params;
  return {snap.primaryGen, snap.secondaryGen, int(p.mode), p.frame, p.noiseChannel, p.splitFraction, p.onionAlpha,
          m_scene->zoom, m_scene->pan.x(), m_scene->pan.y(), pixels.width(), pixels.height(), dpr};
}

void PreviewOffscreenView::paintEvent(QPaintEvent*) {
  const qreal dpr = devicePixelRatioF();
  const QSize pixels = (QSizeF(size()) * dpr).toSize();
  const PictureKey key = pictureKey(pixels, dpr);
  if (m_picture.isNull() || key != m_pictureKey) {
    m_picture = m_renderer->render(pixels, dpr, &m_pictureFrame);
    m_pictureKey = key;
    if (!m_picture.isNull()) m_picture.setDevicePixelRatio(dpr);
  }
  QPainter painter(this);
  if (m_picture.isNull()) {
    painter.fillRect(rect(), QColor::fromRgbF(0.16f, 0.16f, 0.16f));  // failed: the fallback takes over
    return;
  }
  painter.drawImage(QPointF(0, 0), m_picture);  // same size and format as the backing store: a copy
  if (m_pictureFrame >= 0) emit frameRendered(m_pictureFrame);
}

}  // namespace ns::ui
