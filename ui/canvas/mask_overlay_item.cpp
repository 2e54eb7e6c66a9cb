#include "ui/canvas/mask_overlay_item.h"

#include <QPainter>

#include <algorithm>
#include <utility>

namespace ns::ui {

MaskOverlayItem::MaskOverlayItem() {
  setAcceptedMouseButtons(Qt::NoButton);  // the scene routes the brush's mouse events
  setZValue(-1.0);                        // above the picture, below the object boxes
}

void MaskOverlayItem::setCanvasSize(QSize size) {
  if (size == m_canvas) return;
  prepareGeometryChange();
  m_canvas = size;
}

void MaskOverlayItem::setLevels(const std::vector<uint8_t>& levels, int width, int height) {
  if (levels.empty() || width <= 0 || height <= 0 || levels.size() != size_t(width) * height) {
    m_image = QImage();
  } else {
    m_image = QImage(width, height, QImage::Format_ARGB32_Premultiplied);
    for (int y = 0; y < height; ++y) {
      auto* row = reinterpret_cast<QRgb*>(m_image.scanLine(y));
      for (int x = 0; x < width; ++x) {
        // Half-opaque red at full level: the picture stays readable under the mask.
        const int a = levels[size_t(y) * width + x] * 120 / 255;
        row[x] = qRgba(a, 0, 0, a);  // premultiplied red
      }
    }
  }
  update();
}

void MaskOverlayItem::showMask(const EditMask& mask, int width, int height, int frame) {
  // Operations on other frames do not change this frame's picture, but comparing the whole mask
  // is cheap next to rasterising and keeps the rule simple.
  if (mask == m_shownMask && width == m_shownWidth && height == m_shownHeight && (frame == m_shownFrame || !mask.perFrame()))
    return;
  m_shownMask = mask;
  m_shownWidth = width;
  m_shownHeight = height;
  m_shownFrame = frame;
  if (!mask.active()) setLevels({}, 0, 0);
  else setLevels(mask.rasterize(width, height, frame), width, height);
}

void MaskOverlayItem::setOverlayShown(bool on) {
  m_shown = on;
  update();
}

void MaskOverlayItem::setBrush(double radius, bool erase) {
  m_radius = std::max(0.5, radius);
  m_erase = erase;
  update();
}

void MaskOverlayItem::setPointer(QPointF scenePos, bool inside) {
  m_pointer = scenePos;
  m_pointerInside = inside;
  update();
}

void MaskOverlayItem::beginStroke(QPointF scenePos) {
  m_stroking = true;
  m_points = {scenePos};
  m_path = QPainterPath(scenePos);
  m_path.lineTo(scenePos);
  update();
}

void MaskOverlayItem::extendStroke(QPointF scenePos) {
  if (!m_stroking) return;
  // Points closer than a tenth of the radius add nothing the polyline does not already cover.
  if (QLineF(m_points.back(), scenePos).length() < std::max(0.25, m_radius * 0.1)) return;
  m_points.push_back(scenePos);
  m_path.lineTo(scenePos);
  update();
}

std::vector<QPointF> MaskOverlayItem::endStroke() {
  m_stroking = false;
  m_path = QPainterPath();
  update();
  return std::exchange(m_points, {});
}

QRectF MaskOverlayItem::boundingRect() const {
  // The brush outline may hang over the canvas edge.
  const double m = m_radius + 2;
  return QRectF(QPointF(0, 0), QSizeF(m_canvas)).adjusted(-m, -m, m, m);
}

void MaskOverlayItem::paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) {
  const QRectF canvas(QPointF(0, 0), QSizeF(m_canvas));
  if (m_shown && !m_image.isNull()) {
    p->setRenderHint(QPainter::SmoothPixmapTransform, false);  // show the mask's own pixels
    p->drawImage(canvas, m_image);
  }
  if (m_stroking) {
    const QColor c = m_erase ? QColor(230, 230, 230, 110) : QColor(255, 40, 40, 110);
    p->setRenderHint(QPainter::Antialiasing, true);
    p->setPen(QPen(c, 2 * m_radius, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
    p->drawPath(m_path);
  }
  if (m_pointerInside) {
    p->setRenderHint(QPainter::Antialiasing, true);
    p->setBrush(Qt::NoBrush);
    p->setPen(QPen(m_erase ? QColor(230, 230, 230) : QColor(255, 80, 80), 0));
    p->drawEllipse(m_pointer, m_radius, m_radius);
  }
}

}  // namespace ns::ui
