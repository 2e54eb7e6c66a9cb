#include "ui/canvas/box_item.h"

#include <QCursor>
#include <QGraphicsScene>
#include <QGraphicsSceneMouseEvent>
#include <QGraphicsView>
#include <QPainter>
#include <QStyleOptionGraphicsItem>

#include <algorithm>
#include <cmath>

namespace ns::ui {

BoxItem::BoxItem(const QString& id, QGraphicsItem* parent) : QGraphicsObject(parent), m_id(id) {
  setFlag(ItemIsSelectable);
  setAcceptHoverEvents(true);
}

void BoxItem::setBox(const QRectF& rect) {
  const double h = viewHandleSize();
  if (rect == m_rect && h == m_handle) return;
  prepareGeometryChange();
  m_rect = rect;
  m_handle = h;
}

void BoxItem::syncHandleSize() { setBox(m_rect); }

void BoxItem::setLabel(const QString& text) {
  m_label = text;
  update();
}

void BoxItem::setColour(const QColor& c) {
  m_colour = c;
  update();
}

void BoxItem::setKeyframeHere(bool on) {
  if (m_keyHere == on) return;
  m_keyHere = on;
  update();
}

void BoxItem::setSprite(const QImage& sprite) {
  if (sprite.cacheKey() == m_sprite.cacheKey()) return;
  m_sprite = sprite;
  update();
}

double BoxItem::viewHandleSize() const {
  // Handles keep their on-screen size whatever the zoom.
  const auto views = scene() ? scene()->views() : QList<QGraphicsView*>();
  const double scale = views.isEmpty() ? 1.0 : views.first()->transform().m11();
  return kHandle / std::max(1e-6, scale);
}

QRectF BoxItem::boundingRect() const {
  const double h = handleSize();
  // Room for the handles and the label above the box.
  return m_rect.adjusted(-h, -h - 3 * h, h, h);
}

void BoxItem::paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) {
  const double h = handleSize();
  QPen pen(m_colour, 0);  // cosmetic: 1 px whatever the zoom
  pen.setWidthF(isSelected() ? 2.0 : 1.5);
  pen.setCosmetic(true);
  if (!m_keyHere) pen.setStyle(Qt::DashLine);  // solid where a keyframe sits on this frame
  if (!m_sprite.isNull()) {
    p->setRenderHint(QPainter::SmoothPixmapTransform, true);
    p->drawImage(m_rect, m_sprite);
  }
  p->setPen(pen);
  p->setBrush(m_sprite.isNull() ? QBrush(QColor(m_colour.red(), m_colour.green(), m_colour.blue(), 40)) : QBrush(Qt::NoBrush));
  p->drawRect(m_rect);
  if (!m_label.isEmpty()) {
    QFont f = p->font();
    f.setPointSizeF(std::max(1.0, 2.6 * h / 2.0));
    p->setFont(f);
    p->setPen(Qt::white);
    p->drawText(QRectF(m_rect.left(), m_rect.top() - 3 * h, std::max(m_rect.width(), 20 * h), 3 * h),
                Qt::AlignLeft | Qt::AlignBottom | Qt::TextSingleLine, m_label);
  }
  if (!isSelected()) return;
  p->setPen(QPen(Qt::black, 0));
  p->setBrush(Qt::white);
  const QPointF pts[8] = {m_rect.topLeft(), m_rect.topRight(), m_rect.bottomLeft(), m_rect.bottomRight(),
                          QPointF(m_rect.center().x(), m_rect.top()), QPointF(m_rect.center().x(), m_rect.bottom()),
                          QPointF(m_rect.left(), m_rect.center().y()), QPointF(m_rect.right(), m_rect.center().y())};
  for (const QPointF& c : pts) p->drawRect(QRectF(c.x() - h / 2, c.y() - h / 2, h, h));
}

BoxItem::Grip BoxItem::gripAt(const QPointF& s) const {
  const double h = handleSize();
  const QRectF r = m_rect;
  auto near = [h](double a, double b) { return std::abs(a - b) <= h; };
  const bool inX = s.x() >= r.left() - h && s.x() <= r.right() + h;
  const bool inY = s.y() >= r.top() - h && s.y() <= r.bottom() + h;
  if (!inX || !inY) return Grip::None;
  if (isSelected()) {
    const bool l = near(s.x(), r.left()), rt = near(s.x(), r.right());
    const bool t = near(s.y(), r.top()), b = near(s.y(), r.bottom());
    if (t && l) return Grip::TopLeft;
    if (t && rt) return Grip::TopRight;
    if (b && l) return Grip::BottomLeft;
    if (b && rt) return Grip::BottomRight;
    if (l) return Grip::Left;
    if (rt) return Grip::Right;
    if (t) return Grip::Top;
    if (b) return Grip::Bottom;
  }
  return r.contains(s) ? Grip::Body : Grip::None;
}

QRectF BoxItem::dragged(const QPointF& scenePos) const {
  const QPointF d = scenePos - m_pressPos;
  QRectF r = m_pressRect;
  switch (m_grip) {
    case Grip::Body: r.translate(d); return r;
    case Grip::Left: r.setLeft(r.left() + d.x()); break;
    case Grip::Right: r.setRight(r.right() + d.x()); break;
    case Grip::Top: r.setTop(r.top() + d.y()); break;
    case Grip::Bottom: r.setBottom(r.bottom() + d.y()); break;
    case Grip::TopLeft: r.setTopLeft(r.topLeft() + d); break;
    case Grip::TopRight: r.setTopRight(r.topRight() + d); break;
    case Grip::BottomLeft: r.setBottomLeft(r.bottomLeft() + d); break;
    case Grip::BottomRight: r.setBottomRight(r.bottomRight() + d); break;
    default: return r;
  }
  // Dragging an edge past the opposite one flips the box instead of inverting it.
  r = r.normalized();
  if (r.width() < kMinSize) r.setWidth(kMinSize);
  if (r.height() < kMinSize) r.setHeight(kMinSize);
  return r;
}

void BoxItem::mousePressEvent(QGraphicsSceneMouseEvent* e) {
  if (e->button() != Qt::LeftButton) {
    e->ignore();
    return;
  }
  m_grip = gripAt(e->scenePos());
  if (m_grip == Grip::None) {
    e->ignore();
    return;
  }
  if (!isSelected()) {
    if (scene()) scene()->clearSelection();
    setSelected(true);
  }
  m_pressPos = e->scenePos();
  m_pressRect = m_rect;
  emit dragStarted(m_id);
  e->accept();
}

void BoxItem::mouseMoveEvent(QGraphicsSceneMouseEvent* e) {
  if (m_grip == Grip::None) return;
  const QRectF r = dragged(e->scenePos());
  if (r == m_rect) return;
  setBox(r);
  emit dragMoved(m_id, r);
}

void BoxItem::mouseReleaseEvent(QGraphicsSceneMouseEvent* e) {
  if (m_grip == Grip::None) return;
  const QRectF r = dragged(e->scenePos());
  setBox(r);
  m_grip = Grip::None;
  emit dragFinished(m_id, r);
}

void BoxItem::hoverMoveEvent(QGraphicsSceneHoverEvent* e) {
  switch (gripAt(e->scenePos())) {
    case Grip::Left:
    case Grip::Right: setCursor(Qt::SizeHorCursor); break;
    case Grip::Top:
    case Grip::Bottom: setCursor(Qt::SizeVerCursor); break;
    case Grip::TopLeft:
    case Grip::BottomRight: setCursor(Qt::SizeFDiagCursor); break;
    case Grip::TopRight:
    case Grip::BottomLeft: setCursor(Qt::SizeBDiagCursor); break;
    case Grip::Body: setCursor(Qt::SizeAllCursor); break;
    default: unsetCursor(); break;
  }
}

}  // namespace ns::ui
