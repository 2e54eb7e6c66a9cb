#pragma once
// MaskOverlayItem: the edit mask on the canvas — the rasterised mask of the current frame as a
// translucent red wash over the picture, the stroke being painted (before it becomes an undo
// step), and the brush outline under the pointer while the mask brush is the tool. It only
// draws: CanvasScene feeds it the pointer and reports finished strokes. Scene coordinates are
// canvas pixels. UI thread only.

#include <QGraphicsItem>
#include <QImage>
#include <QPainterPath>

#include <cstdint>
#include <vector>

#include "core/plan/edit_mask.h"

namespace ns::ui {

class MaskOverlayItem : public QGraphicsItem {
 public:
  MaskOverlayItem();

  void setCanvasSize(QSize size);
  // 8-bit levels (255 = edit) of width x height, row-major; empty = no mask to show.
  void setLevels(const std::vector<uint8_t>& levels, int width, int height);
  // Shows `mask` at `frame` rasterised at width x height; re-rasterises only when one of them
  // changed (the window syncs on every edit, and a big mask at 512² takes ~0.1 s).
  void showMask(const EditMask& mask, int width, int height, int frame);
  const QImage& overlayImage() const { return m_image; }
  void setOverlayShown(bool on);
  bool overlayShown() const { return m_shown; }

  // The brush: radius in canvas pixels, erase or paint (colours the stroke preview).
  void setBrush(double radius, bool erase);
  void setPointer(QPointF scenePos, bool inside);  // brush outline position (hidden when !inside)

  void beginStroke(QPointF scenePos);
  void extendStroke(QPointF scenePos);
  std::vector<QPointF> endStroke();  // the stroke's points; the preview disappears
  bool stroking() const { return m_stroking; }

  QRectF boundingRect() const override;
  void paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

 private:
  QSize m_canvas{512, 512};
  QImage m_image;  // ARGB32: red with alpha from the mask level
  EditMask m_shownMask;  // what m_image shows (cache key with the size and frame)
  int m_shownWidth = -1, m_shownHeight = -1, m_shownFrame = -1;
  bool m_shown = true;
  double m_radius = 8;
  bool m_erase = false;
  QPointF m_pointer;
  bool m_pointerInside = false;
  bool m_stroking = false;
  std::vector<QPointF> m_points;
  QPainterPath m_path;
};

}  // namespace ns::ui
