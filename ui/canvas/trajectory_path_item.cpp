#include "ui/canvas/trajectory_path_item.h"

#include <QPainter>
#include <QPainterPath>

namespace ns::ui {

namespace {
QPointF centreOf(const NormBox& b, QSizeF canvas) { return {b.cx() * canvas.width(), b.cy() * canvas.height()}; }
}  // namespace

TrajectoryPathItem::TrajectoryPathItem(QGraphicsItem* parent) : QGraphicsPathItem(parent) {
  setAcceptedMouseButtons(Qt::NoButton);  // never steals clicks from the boxes
  setZValue(-1);
}

void TrajectoryPathItem::setTrajectory(const Trajectory& t, QSizeF canvas, int frames, int currentFrame,
                                       const QColor& colour) {
  prepareGeometryChange();
  m_colour = colour;
  m_keys.clear();
  QPainterPath path;
  if (!t.empty() && t.keys().size() > 1) {
    // Four samples per frame: smooth enough for Catmull-Rom at any clip length we allow.
    const int samples = std::max(2, (frames - 1) * 4 + 1);
    for (int i = 0; i < samples; ++i) {
      const double f = (frames - 1) * double(i) / (samples - 1);
      const QPointF c = centreOf(t.boxAt(f), canvas);
      if (i == 0) path.moveTo(c);
      else path.lineTo(c);
    }
  }
  for (const Keyframe& k : t.keys()) m_keys.append(centreOf(k.box, canvas));
  m_current = t.empty() ? QPointF() : centreOf(t.boxAt(currentFrame), canvas);
  setPath(path);
}

QRectF TrajectoryPathItem::boundingRect() const {
  QRectF r = path().boundingRect();
  for (const QPointF& k : m_keys) r |= QRectF(k - QPointF(4, 4), QSizeF(8, 8));
  if (!m_keys.isEmpty()) r |= QRectF(m_current - QPointF(4, 4), QSizeF(8, 8));
  return r.adjusted(-2, -2, 2, 2);
}

void TrajectoryPathItem::paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) {
  const double scale = std::max(1e-6, p->worldTransform().m11());
  const double r = 3.0 / scale;
  QPen pen(m_colour, 1.5);
  pen.setCosmetic(true);
  pen.setStyle(Qt::DotLine);
  p->setPen(pen);
  p->setBrush(Qt::NoBrush);
  p->drawPath(path());
  pen.setStyle(Qt::SolidLine);
  p->setPen(pen);
  p->setBrush(m_colour);
  for (const QPointF& k : m_keys) p->drawEllipse(k, r, r);
  if (m_keys.size() > 1) {
    p->setBrush(Qt::NoBrush);
    p->drawEllipse(m_current, 2 * r, 2 * r);
  }
}

}  // namespace ns::ui
