#include "ui/canvas/canvas_scene.h"

#include <QGraphicsRectItem>
#include <QGraphicsSceneMouseEvent>
#include <QPainter>
#include <QSignalBlocker>

#include <algorithm>

#include "ui/canvas/box_item.h"
#include "ui/canvas/mask_overlay_item.h"
#include "ui/canvas/trajectory_path_item.h"

namespace ns::ui {

CanvasScene::CanvasScene(QObject* parent) : QGraphicsScene(parent) {
  qRegisterMetaType<ns::NormBox>("ns::NormBox");
  setSceneRect(0, 0, m_canvas.width(), m_canvas.height());
  m_mask = new MaskOverlayItem;
  addItem(m_mask);
  connect(this, &QGraphicsScene::selectionChanged, this, [this] {
    const QString id = selectedId();
    if (id == m_lastSelected) return;
    m_lastSelected = id;
    emit selectedObjectChanged(id);
  });
}

// QGraphicsScene's destructor removes the items and emits selectionChanged after this class's
// members are gone; clear them here, silently, while the members still exist.
CanvasScene::~CanvasScene() {
  blockSignals(true);
  m_boxes.clear();
  m_paths.clear();
  m_rubber = nullptr;
  m_mask = nullptr;
  clear();
}

void CanvasScene::setCanvasSize(QSize size) {
  if (size == m_canvas || size.isEmpty()) return;
  m_canvas = size;
  setSceneRect(0, 0, size.width(), size.height());
  m_mask->setCanvasSize(size);
  setMaskBrush(m_maskRadius, m_maskErase);
  update();
}

void CanvasScene::setMaskBrush(double radiusFraction, bool erase) {
  m_maskRadius = radiusFraction;
  m_maskErase = erase;
  m_mask->setBrush(radiusFraction * std::min(m_canvas.width(), m_canvas.height()), erase);
}

void CanvasScene::setBackgroundImage(const QImage& image) {
  const bool before = showsNothing();
  m_background = image;
  update();
  noteEmptiness(before);
}

void CanvasScene::noteEmptiness(bool before) {
  if (showsNothing() != before) emit emptinessChanged(!before);
}

QRectF CanvasScene::toScene(const NormBox& b) const {
  return QRectF(QPointF(b.x0 * m_canvas.width(), b.y0 * m_canvas.height()),
                QPointF(b.x1 * m_canvas.width(), b.y1 * m_canvas.height()));
}

NormBox CanvasScene::toNorm(const QRectF& r) const {
  const QRectF n = r.normalized();
  return NormBox{float(n.left() / m_canvas.width()), float(n.top() / m_canvas.height()),
                 float(n.right() / m_canvas.width()), float(n.bottom() / m_canvas.height())};
}

QRectF CanvasScene::clampToCanvas(const QRectF& r) const {
  return r.normalized().intersected(QRectF(QPointF(0, 0), QSizeF(m_canvas)));
}

BoxItem* CanvasScene::createBox(const QString& id) {
  auto* box = new BoxItem(id);
  addItem(box);
  connect(box, &BoxItem::dragStarted, this, [this](const QString& objectId) {
    m_dragId = objectId;
    emit boxEditStarted(objectId);
  });
  connect(box, &BoxItem::dragMoved, this,
          [this](const QString& objectId, const QRectF& r) { emit boxEdited(objectId, toNorm(r), false); });
  connect(box, &BoxItem::dragFinished, this, [this](const QString& objectId, const QRectF& r) {
    m_dragId.clear();
    emit boxEdited(objectId, toNorm(r), true);
  });
  return box;
}

void CanvasScene::setObjects(const std::vector<CanvasObject>& objects, int frame, int frames) {
  const bool wasEmpty = showsNothing();
  QSet<QString> alive;
  const QSizeF canvas(m_canvas);
  for (size_t i = 0; i < objects.size(); ++i) {
    const CanvasObject& o = objects[i];
    alive.insert(o.id);
    BoxItem* box = m_boxes.value(o.id, nullptr);
    if (!box) box = m_boxes[o.id] = createBox(o.id);
    // The dragged item already shows the user's gesture; the Project says the same thing, but
    // rounding through NormBox floats must not make it jitter under the pointer.
    if (o.id != m_dragId) box->setBox(toScene(o.trajectory.boxAt(frame)));
    box->setLabel(o.label);
    box->setColour(o.colour);
    box->setZValue(double(i));
    bool keyHere = false;
    for (const Keyframe& k : o.trajectory.keys()) keyHere |= k.frame == frame;
    box->setKeyframeHere(keyHere);
    TrajectoryPathItem* path = m_paths.value(o.id, nullptr);
    if (!path) {
      path = m_paths[o.id] = new TrajectoryPathItem;
      addItem(path);
    }
    path->setTrajectory(o.trajectory, canvas, frames, frame, o.colour);
  }
  // Take removed items out of the maps first, then delete them with signals blocked: deleting a
  // selected item emits selectionChanged, whose handlers may call setObjects() again.
  std::vector<QGraphicsItem*> doomed;
  for (auto it = m_boxes.begin(); it != m_boxes.end();) {
    if (alive.contains(it.key())) {
      ++it;
      continue;
    }
    if (m_dragId == it.key()) m_dragId.clear();
    doomed.push_back(it.value());
    doomed.push_back(m_paths.take(it.key()));
    it = m_boxes.erase(it);
  }
  if (doomed.empty()) {
    noteEmptiness(wasEmpty);
    return;
  }
  {
    const QSignalBlocker block(this);
    for (QGraphicsItem* item : doomed) delete item;
  }
  const QString id = selectedId();
  if (id != m_lastSelected) {
    m_lastSelected = id;
    emit selectedObjectChanged(id);
  }
  noteEmptiness(wasEmpty);
}

void CanvasScene::setTool(CanvasTool tool) {
  m_tool = tool;
  if (tool != CanvasTool::MaskBrush) m_mask->setPointer({}, false);
}

QString CanvasScene::selectedId() const {
  for (QGraphicsItem* item : selectedItems())
    if (auto* box = dynamic_cast<BoxItem*>(item)) return box->id();
  return {};
}

void CanvasScene::selectObject(const QString& id) {
  clearSelection();
  if (BoxItem* box = m_boxes.value(id, nullptr)) box->setSelected(true);
}

void CanvasScene::drawBackground(QPainter* p, const QRectF& rect) {
  p->fillRect(rect, QColor(40, 40, 44));
  const QRectF canvas(QPointF(0, 0), QSizeF(m_canvas));
  if (m_background.isNull()) {
    p->fillRect(canvas, QColor(90, 90, 96));
  } else {
    p->setRenderHint(QPainter::SmoothPixmapTransform, false);  // show model pixels as they are
    p->drawImage(canvas, m_background);
  }
  p->setPen(QPen(QColor(200, 200, 200), 0));
  p->drawRect(canvas);
}

void CanvasScene::mousePressEvent(QGraphicsSceneMouseEvent* e) {
  if (m_tool == CanvasTool::MaskBrush && e->button() == Qt::LeftButton) {
    m_mask->beginStroke(e->scenePos());
    e->accept();
    return;
  }
  const bool drawing = m_tool == CanvasTool::Box || m_tool == CanvasTool::CutOut;
  if (drawing && e->button() == Qt::LeftButton) {
    m_rubberStart = e->scenePos();
    m_rubber = addRect(QRectF(m_rubberStart, QSizeF(0, 0)),
                       QPen(m_tool == CanvasTool::Box ? QColor(255, 200, 60) : QColor(120, 220, 255), 0, Qt::DashLine));
    m_rubber->setZValue(1e6);
    e->accept();
    return;
  }
  if (m_tool == CanvasTool::Trajectory && e->button() == Qt::LeftButton) {
    const QString id = selectedId();
    if (!id.isEmpty()) {
      emit centreClicked(id, QPointF(e->scenePos().x() / m_canvas.width(), e->scenePos().y() / m_canvas.height()));
      e->accept();
      return;
    }
  }
  QGraphicsScene::mousePressEvent(e);
  if (!e->isAccepted() && m_tool == CanvasTool::Select) clearSelection();
}

void CanvasScene::mouseMoveEvent(QGraphicsSceneMouseEvent* e) {
  if (m_tool == CanvasTool::MaskBrush) {
    m_mask->setPointer(e->scenePos(), true);
    if (m_mask->stroking()) m_mask->extendStroke(e->scenePos());
    return;
  }
  if (m_rubber) {
    m_rubber->setRect(QRectF(m_rubberStart, e->scenePos()).normalized());
    return;
  }
  QGraphicsScene::mouseMoveEvent(e);
}

void CanvasScene::mouseReleaseEvent(QGraphicsSceneMouseEvent* e) {
  if (m_mask->stroking()) {
    m_mask->extendStroke(e->scenePos());
    QVector<QPointF> norm;
    for (const QPointF& p : m_mask->endStroke()) norm.push_back(QPointF(p.x() / m_canvas.width(), p.y() / m_canvas.height()));
    emit maskStrokeFinished(norm);
    return;
  }
  if (!m_rubber) {
    QGraphicsScene::mouseReleaseEvent(e);
    return;
  }
  const QRectF r = clampToCanvas(QRectF(m_rubberStart, e->scenePos()));
  delete m_rubber;
  m_rubber = nullptr;
  // A click without a drag is not a box (a few pixels of jitter are not either).
  if (r.width() < 3 || r.height() < 3) return;
  if (m_tool == CanvasTool::Box) emit boxDrawn(toNorm(r));
  else emit cutOutDrawn(toNorm(r));
}

}  // namespace ns::ui
