#pragma once
// TrajectoryPathItem: the path an object's box centre takes over the clip, drawn through its
// keyframes (sampled from Trajectory::poseAt, so it shows exactly what the renderer will do), with
// a dot on every keyframe and a ring on the current frame. Display only. UI thread only.

#include <QGraphicsPathItem>

#include "core/plan/trajectory.h"

namespace ns::ui {

class TrajectoryPathItem : public QGraphicsPathItem {
 public:
  explicit TrajectoryPathItem(QGraphicsItem* parent = nullptr);

  // canvas: width/height in pixels; frames: clip length.
  void setTrajectory(const Trajectory& t, QSizeF canvas, int frames, int currentFrame, const QColor& colour);
  const QList<QPointF>& keyPoints() const { return m_keys; }

  QRectF boundingRect() const override;
  void paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

 private:
  QList<QPointF> m_keys;
  QPointF m_current;
  QColor m_colour;
};

}  // namespace ns::ui
