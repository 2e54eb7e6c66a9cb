#pragma once
// PreviewWindow: the QVulkanWindow that PreviewWidget embeds. It only creates the PreviewRenderer
// and turns input into signals; PreviewWidget owns the logic (zoom, pan, divider, inspector).
// UI thread only. The PreviewScene it draws is owned by PreviewWidget and outlives the window.

#include <QVulkanWindow>

#include "ui/preview/preview_scene.h"

namespace ns::ui {

class PreviewRenderer;

class PreviewWindow : public QVulkanWindow {
  Q_OBJECT
 public:
  explicit PreviewWindow(PreviewScene* scene);
  QVulkanWindowRenderer* createRenderer() override;
  // The renderer while the window is initialised (null before the first expose / after release).
  PreviewRenderer* renderer() const { return m_renderer; }

 signals:
  void frameRendered(int frameIndex);  // after the frame for `frameIndex` was submitted
  void failed(QString reason);         // the renderer cannot draw (shaders, memory, pipeline)
  // Input, in logical window pixels.
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
  bool event(QEvent* e) override;

 private:
  friend class PreviewRenderer;
  PreviewScene* m_scene;
  PreviewRenderer* m_renderer = nullptr;  // owned by QVulkanWindow
};

}  // namespace ns::ui
