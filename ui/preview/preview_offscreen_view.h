#pragma once
// PreviewOffscreenView: shows the Vulkan preview drawn by PreviewOffscreenRenderer (CPU Vulkan
// devices such as lavapipe) as a plain QWidget: each paint renders the scene at the widget's
// device-pixel size and blits the picture 1:1. A paint whose inputs (buffers, parameters, zoom,
// pan, size) are unchanged since the last one re-blits the last picture instead of drawing again
// (expose events, overlapping windows). Emits `failed` (queued) when the renderer cannot go on;
// PreviewWidget then switches to the QPainter fallback. UI thread only.

#include <QImage>
#include <QVulkanInstance>
#include <memory>
#include <tuple>

#include "ui/preview/preview_input_view.h"
#include "ui/preview/preview_scene.h"

namespace ns::ui {

class PreviewOffscreenRenderer;

class PreviewOffscreenView : public PreviewInputView {
  Q_OBJECT
 public:
  PreviewOffscreenView(QVulkanInstance* instance, VkPhysicalDevice physicalDevice, PreviewScene* scene,
                       QWidget* parent = nullptr);
  ~PreviewOffscreenView() override;

  // Makes the device; false (with failed() emitted, queued) when it cannot draw.
  bool create();
  PreviewOffscreenRenderer* renderer() const { return m_renderer.get(); }

 signals:
  void failed(QString reason);

 protected:
  void paintEvent(QPaintEvent* e) override;

 private:
  using PictureKey = std::tuple<uint64_t, uint64_t, int, int, int, double, double, double, double, double, int, int, qreal>;
  PictureKey pictureKey(QSize pixels, qreal dpr) const;

  PreviewScene* m_scene;
  std::unique_ptr<PreviewOffscreenRenderer> m_renderer;
  // The last picture (it points into the renderer's readback buffer, which only the next
  // render() rewrites), what it was drawn from, and the frame it shows.
  QImage m_picture;
  PictureKey m_pictureKey{};
  int m_pictureFrame = -1;
};

}  // namespace ns::ui
