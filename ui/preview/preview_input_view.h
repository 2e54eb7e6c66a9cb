#pragma once
// PreviewInputView: the QWidget base of the preview views drawn by Qt (the QPainter fallback and
// the offscreen Vulkan view). It turns input into the same signals PreviewWindow emits, so
// PreviewWidget handles zoom, pan, divider and inspector alike for every view. UI thread only.

#include <QPointF>
#include <QWidget>

namespace ns::ui {

class PreviewInputView : public QWidget {
  Q_OBJECT
 public:
  explicit PreviewInputView(QWidget* parent = nullptr);

 signals:
  void frameRendered(int frameIndex);  // after the picture of `frameIndex` was painted
  // Input, in logical widget pixels.
  void mousePressed(QPointF pos, Qt::MouseButton button, Qt::KeyboardModifiers modifiers);
  void mouseMoved(QPointF pos, Qt::MouseButtons buttons);
  void mouseReleased(QPointF pos, Qt::MouseButton button);
  void wheelTurned(QPointF pos, int angleDeltaY);
  void pointerLeft();

 protected:
  void mousePressEvent(QMouseEvent* e) override;
  void mouseMoveEvent(QMouseEvent* e) override;
  void mouseReleaseEvent(QMouseEvent* e) override;
  void wheelEvent(QWheelEvent* e) override;
  void leaveEvent(QEvent* e) override;
};

}  // namespace ns::ui
