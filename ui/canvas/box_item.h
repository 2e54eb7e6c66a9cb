#pragma once
// BoxItem: one object's box on the canvas at the current frame: outline, prompt label, and eight
// resize handles when selected. Scene coordinates are canvas pixels. The item never changes the
// Project: while the user drags, it moves itself and tells CanvasScene (which emits boxEdited);
// when the Project changes, CanvasScene calls setBox() to bring it back in line. UI thread only.

#include <QGraphicsObject>
#include <QImage>

namespace ns::ui {

class BoxItem : public QGraphicsObject {
  Q_OBJECT
 public:
  // Which part of the box the pointer grabbed.
  enum class Grip { Invalid = 0, None, Body, Left, Right, Top, Bottom, TopLeft, TopRight, BottomLeft, BottomRight };

  BoxItem(const QString& id, QGraphicsItem* parent = nullptr);

  const QString& id() const { return m_id; }
  void setBox(const QRectF& rect);  // scene pixels
  // The handles and label keep their on-screen size, so the bounding rect depends on the view's
  // zoom: CanvasView calls this after every zoom change. (It must go through
  // prepareGeometryChange: a rect that changed behind the scene's back left deleted boxes in its
  // BSP index, and painting crashed — found by slow_monkey.)
  void syncHandleSize();
  QRectF box() const { return m_rect; }
  void setLabel(const QString& text);
  QString label() const { return m_label; }
  void setColour(const QColor& c);
  void setKeyframeHere(bool on);  // the current frame is one of the object's keyframes
  // The object's picture (a model-painted sprite or an image file), drawn stretched over the box
  // as the sketch draws it; null = the outline only (flat shapes).
  void setSprite(const QImage& sprite);
  const QImage& sprite() const { return m_sprite; }
  Grip gripAt(const QPointF& scenePos) const;

  QRectF boundingRect() const override;
  void paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

  static constexpr double kHandle = 7.0;   // handle size in view pixels
  static constexpr double kMinSize = 2.0;  // smallest box side in canvas pixels

 signals:
  // Drag phases: begin on press, changed on every move, finished on release.
  void dragStarted(const QString& id);
  void dragMoved(const QString& id, const QRectF& rect);
  void dragFinished(const QString& id, const QRectF& rect);

 protected:
  void mousePressEvent(QGraphicsSceneMouseEvent* e) override;
  void mouseMoveEvent(QGraphicsSceneMouseEvent* e) override;
  void mouseReleaseEvent(QGraphicsSceneMouseEvent* e) override;
  void hoverMoveEvent(QGraphicsSceneHoverEvent* e) override;

 private:
  double handleSize() const { return m_handle; }  // kHandle in scene units, as of the last sync
  double viewHandleSize() const;                  // kHandle in scene units for the view's scale now
  QRectF dragged(const QPointF& scenePos) const;

  QString m_id;
  QRectF m_rect;
  double m_handle = kHandle;
  QString m_label;
  QColor m_colour{255, 200, 60};
  QImage m_sprite;
  bool m_keyHere = false;
  Grip m_grip = Grip::None;
  QPointF m_pressPos;
  QRectF m_pressRect;
};

}  // namespace ns::ui
