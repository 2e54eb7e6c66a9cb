#pragma once
// CanvasScene: the editable picture of the Project at the current frame. Scene coordinates are
// canvas pixels (0..width, 0..height). Items are rebuilt in place from CanvasObjects (setObjects)
// so a re-sync during a drag never disturbs the item being dragged. The scene changes nothing in
// the Project: it reports gestures as signals (normalised boxes), MainWindow turns them into
// commands. UI thread only.

#include <QGraphicsScene>
#include <QHash>
#include <QImage>
#include <QPointF>
#include <QVector>

#include <vector>

#include "core/model/scene.h"
#include "ui/canvas/canvas_object.h"
#include "ui/canvas/canvas_tool.h"

namespace ns::ui {

class BoxItem;
class MaskOverlayItem;
class TrajectoryPathItem;

class CanvasScene : public QGraphicsScene {
  Q_OBJECT
 public:
  explicit CanvasScene(QObject* parent = nullptr);
  ~CanvasScene() override;

  void setCanvasSize(QSize size);
  QSize canvasSize() const { return m_canvas; }
  void setBackgroundImage(const QImage& image);  // drawn under the boxes, scaled to the canvas
  const QImage& backgroundImage() const { return m_background; }
  // Brings the items in line with the objects at `frame` (of `frames`).
  void setObjects(const std::vector<CanvasObject>& objects, int frame, int frames);

  void setTool(CanvasTool tool);
  CanvasTool tool() const { return m_tool; }
  QString selectedId() const;
  void selectObject(const QString& id);
  BoxItem* boxItem(const QString& id) const { return m_boxes.value(id, nullptr); }
  TrajectoryPathItem* pathItem(const QString& id) const { return m_paths.value(id, nullptr); }
  int objectCount() const { return int(m_boxes.size()); }
  bool dragging() const { return !m_dragId.isEmpty(); }
  // Nothing to look at yet: no object box and no picture (source photo or render) under them.
  // The empty-plan hint (empty_plan_hint.h) shows while this holds.
  bool showsNothing() const { return m_boxes.isEmpty() && m_background.isNull(); }

  // The edit mask's overlay; the mask brush's radius (fraction of the canvas's shorter side).
  MaskOverlayItem* maskOverlay() const { return m_mask; }
  void setMaskBrush(double radiusFraction, bool erase);

  QRectF toScene(const NormBox& b) const;
  NormBox toNorm(const QRectF& r) const;

 signals:
  void boxDrawn(ns::NormBox box);                           // Box tool: a new object
  void cutOutDrawn(ns::NormBox box);                        // Cut-out tool: a region of the source
  void boxEditStarted(QString id);                          // a move/resize drag begins (one undo step)
  void boxEdited(QString id, ns::NormBox box, bool finished);  // during and at the end of the drag
  void centreClicked(QString id, QPointF normCentre);       // Trajectory tool on the selected object
  void selectedObjectChanged(QString id);                   // "" = none
  void maskStrokeFinished(QVector<QPointF> normPoints);     // Mask brush: one stroke (one undo step)
  void emptinessChanged(bool showsNothing);                 // showsNothing() flipped

 protected:
  void drawBackground(QPainter* p, const QRectF& rect) override;
  void mousePressEvent(QGraphicsSceneMouseEvent* e) override;
  void mouseMoveEvent(QGraphicsSceneMouseEvent* e) override;
  void mouseReleaseEvent(QGraphicsSceneMouseEvent* e) override;

 private:
  BoxItem* createBox(const QString& id);
  QRectF clampToCanvas(const QRectF& r) const;
  void noteEmptiness(bool before);  // emits emptinessChanged when showsNothing() differs from `before`

  QSize m_canvas{512, 512};
  QImage m_background;
  CanvasTool m_tool = CanvasTool::Select;
  QHash<QString, BoxItem*> m_boxes;
  QHash<QString, TrajectoryPathItem*> m_paths;
  QGraphicsRectItem* m_rubber = nullptr;  // Box / Cut-out tool drag
  QPointF m_rubberStart;
  QString m_dragId;
  QString m_lastSelected;
  MaskOverlayItem* m_mask = nullptr;
  double m_maskRadius = 0.05;
  bool m_maskErase = false;
};

}  // namespace ns::ui

Q_DECLARE_METATYPE(ns::NormBox)
