#pragma once
// PreviewFallbackView: draws the PreviewScene with QPainter from referenceRender() when Vulkan
// cannot start (or NS_PREVIEW_FORCE_FALLBACK=1). Same picture, same view transform and the same
// input signals as the Vulkan views, so PreviewWidget treats all alike. UI thread only; the scene
// is owned by PreviewWidget.

#include <QImage>
#include <tuple>

#include "ui/preview/preview_input_view.h"
#include "ui/preview/preview_scene.h"

namespace ns::ui {

class PreviewFallbackView : public PreviewInputView {
  Q_OBJECT
 public:
  PreviewFallbackView(PreviewScene* scene, QWidget* parent = nullptr);

 protected:
  void paintEvent(QPaintEvent* e) override;

 private:
  PreviewScene* m_scene;
  // The last reference picture and what it was made from (re-rendered only when that changes).
  QImage m_image;
  std::tuple<uint64_t, uint64_t, int, int, int, double, double> m_imageKey{};
};

}  // namespace ns::ui
