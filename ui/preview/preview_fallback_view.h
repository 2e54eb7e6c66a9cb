#pragma once
// PreviewFallbackView: draws the PreviewScene with QPainter from referenceRender() when Vulkan
// cannot start (or NS_PREVIEW_FORCE_FALLBACK=1). Same picture, same view transform and the same
// input signals as PreviewWindow, so PreviewWidget treats both alike. UI thread only; the scene is
// owned by PreviewWidget.

#include <QImage>
#include <QWidget>
#include <tuple>

#include "ui/preview/preview_scene.h"

namespace ns::ui {

class PreviewFallbackView : public QWidget {
  Q_OBJECT
 public:
  PreviewFallbackView(PreviewScene* scene, QWidget* parent = nullptr);

 signals:
  void frameRendered(int frameIndex);
  void mousePressed(QPointF pos, Qt::MouseButton button, Qt::KeyboardModifiers modifiers);
  void mouseMoved(QPointF pos, Qt::MouseButtons buttons);
  void mouseReleased(QPointF pos, Qt::MouseButton button);
  void wheelTurned(QPointF pos, int angleDeltaY);
  void pointerLeft();

 protected:
  void paintEvent(QPaintEvent* e) override;
  void mousePressEvent(QMouseEvent* e) override;
  void mouseMoveEvent(QMouseEvent* e) override;
  void mouseReleaseEvent(QMouseEvent* e) override;
  void wheelEvent(QWheelEvent* e) override;
  void leaveEvent(QEvent* e) override;

 private:
  PreviewScene* m_scene;
  // The last reference picture and what it was made from (re-rendered only when that changes).
  QImage m_image;
  std::tuple<uint64_t, uint64_t, int, int, int, double, double> m_imageKey{};
};

}  // namespace ns::ui
