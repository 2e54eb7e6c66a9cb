#pragma once
// CanvasView: the QGraphicsView in the centre of the window. Keeps the whole canvas in view
// (fit on resize), zooms with Ctrl+wheel. UI thread only.

#include <QGraphicsView>

namespace ns::ui {

class CanvasScene;

class CanvasView : public QGraphicsView {
  Q_OBJECT
 public:
  explicit CanvasView(CanvasScene* scene, QWidget* parent = nullptr);
  void fitCanvas();

 protected:
  void resizeEvent(QResizeEvent* e) override;
  void wheelEvent(QWheelEvent* e) override;

 private:
  void syncItemsToZoom();  // boxes' handle sizes follow the zoom (BoxItem::syncHandleSize)
  bool m_userZoomed = false;
};

}  // namespace ns::ui
