#include "ui/canvas/canvas_view.h"

#include <QWheelEvent>

#include "ui/canvas/box_item.h"
#include "ui/canvas/canvas_scene.h"

namespace ns::ui {

CanvasView::CanvasView(CanvasScene* scene, QWidget* parent) : QGraphicsView(scene, parent) {
  setRenderHint(QPainter::Antialiasing);
  setViewportUpdateMode(QGraphicsView::FullViewportUpdate);
  setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
  setMinimumSize(200, 200);
  setAcceptDrops(false);  // drops go to the main window
  viewport()->setAcceptDrops(false);
}

void CanvasView::fitCanvas() {
  m_userZoomed = false;
  fitInView(sceneRect().adjusted(-8, -8, 8, 8), Qt::KeepAspectRatio);
  syncItemsToZoom();
}

void CanvasView::syncItemsToZoom() {
  if (!scene()) return;
  for (QGraphicsItem* item : scene()->items())
    if (auto* box = dynamic_cast<BoxItem*>(item)) box->syncHandleSize();
}

void CanvasView::resizeEvent(QResizeEvent* e) {
  QGraphicsView::resizeEvent(e);
  if (!m_userZoomed) fitInView(sceneRect().adjusted(-8, -8, 8, 8), Qt::KeepAspectRatio);
  syncItemsToZoom();
}

void CanvasView::wheelEvent(QWheelEvent* e) {
  if (!(e->modifiers() & Qt::ControlModifier)) {
    QGraphicsView::wheelEvent(e);
    return;
  }
  m_userZoomed = true;
  const double f = e->angleDelta().y() > 0 ? 1.15 : 1 / 1.15;
  scale(f, f);
  syncItemsToZoom();
}

}  // namespace ns::ui
