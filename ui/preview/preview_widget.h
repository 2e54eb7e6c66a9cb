#pragma once
// PreviewWidget: the live preview dock's content. Shows the picture one of three ways:
// - Vulkan swap chain: PreviewWindow embedded with QWidget::createWindowContainer (GPUs);
// - Vulkan offscreen: PreviewOffscreenView, Vulkan draws into an image that Qt presents (CPU
//   Vulkan devices such as lavapipe, whose X11 swap chain is far slower than Qt's backing store;
//   see preview_offscreen_renderer.h);
// - QPainter fallback: when no Vulkan instance/device can be made (or NS_PREVIEW_FORCE_FALLBACK=1),
//   a one-line reason above a view that draws the same picture from referenceRender().
// The rest of the app only uses this class and its signals.
//
// Threads: setFrames/setSecondaryFrames may be called from any thread (mutex-guarded handoff; the
// latest buffer wins, intermediate x̂0 previews are dropped, not queued). Everything else is UI
// thread only. Interaction: wheel zooms about the pointer, left/middle drag pans, in SplitAB a
// left drag near the divider moves it, hovering reports the pixel under the pointer.

#include <QImage>
#include <QPointer>
#include <QTimer>
#include <QWidget>
#include <memory>

#include "core/util/frame_buffer.h"
#include "ui/preview/preview_mode.h"
#include "ui/preview/preview_scene.h"

class QLabel;
class QVulkanInstance;

namespace ns::ui {

class PreviewWindow;
class PreviewFallbackView;
class PreviewOffscreenView;

// How a working Vulkan device reaches the screen. Auto: offscreen on CPU devices, swap chain on
// GPUs. Env NS_PREVIEW_PRESENT=swapchain|offscreen overrides Auto (tests run both).
enum class PreviewPresent { Auto, SwapChain, Offscreen };

struct PreviewOptions {
  bool forceFallback = false;  // QPainter view even if Vulkan works (also env NS_PREVIEW_FORCE_FALLBACK=1)
  bool validation = false;     // enable VK_LAYER_KHRONOS_validation (also env NS_VULKAN_VALIDATION=1)
  PreviewPresent present = PreviewPresent::Auto;
};

class PreviewWidget : public QWidget {
  Q_OBJECT
 public:
  explicit PreviewWidget(QWidget* parent = nullptr, PreviewOptions options = {});
  ~PreviewWidget() override;

  // Frames to show (result/primary). Thread-safe; the shared_ptr overload avoids a copy.
  void setFrames(FrameBuffer frames);
  void setFrames(FramesPtr frames);
  // Source frames for SplitAB (left of the divider). Thread-safe.
  void setSecondaryFrames(FrameBuffer frames);
  void setSecondaryFrames(FramesPtr frames);

  void setMode(PreviewMode mode);
  PreviewMode mode() const { return m_scene.params.mode; }
  void setCurrentFrame(int index);  // clamped to the frame count when drawn
  int currentFrame() const { return m_scene.params.frame; }
  void setNoiseChannel(int channel);
  void setSplitPosition(double fraction);  // 0..1 of the image width
  double splitPosition() const { return m_scene.params.splitFraction; }
  void setOnionAlpha(double alpha);        // 0..0.5 per neighbour

  void play(double fps);  // advances (and wraps) the current frame on a QTimer
  void pause();
  bool isPlaying() const { return m_playTimer.isActive(); }

  void setZoom(double zoom);                    // 1 = fit to the view
  void zoomAbout(double factor, QPointF viewPos);
  double zoom() const { return m_scene.zoom; }
  QPointF pan() const { return m_scene.pan; }
  void resetView();
  // Image pixel coordinates (continuous) under a position in this preview's view.
  QPointF viewToImage(QPointF viewPos) const;

  bool usingVulkan() const { return m_window != nullptr || m_offscreen != nullptr; }
  QString fallbackReason() const { return m_reason; }
  // "vulkan swap chain", "vulkan offscreen" or "qpainter" (status text, benchmarks, logs).
  QString drawingPath() const;
  QVulkanInstance* vulkanInstance() const { return usingVulkan() ? m_instance.get() : nullptr; }
  PreviewWindow* vulkanWindow() const { return m_window; }          // swap-chain path only
  PreviewOffscreenView* offscreenView() const { return m_offscreen; }  // offscreen path only
  // What is on screen now, as Format_RGB32 (swap chain: QVulkanWindow::grab(), BGRA fixed).
  QImage grabPreview();
  // Frame-slot uploads done by the Vulkan renderer so far (-1 in the fallback).
  int uploadCount() const;

 signals:
  void frameShown(int index);
  void pixelInspected(int x, int y, QString valueText);
  void failed(QString reason);

 public slots:
  void requestRender();

 private:
  void switchToFallback(const QString& reason);
  // Makes the swap-chain or offscreen view for the instance's first device; false: fell back.
  bool createVulkanView(PreviewPresent present);
  template <class View>
  void connectInput(View* view);
  QSizeF viewSize() const;
  void onPress(QPointF pos, Qt::MouseButton button);
  void onMove(QPointF pos, Qt::MouseButtons buttons);
  void onRelease(QPointF pos, Qt::MouseButton button);
  void onWheel(QPointF pos, int angleDeltaY);
  void advanceFrame();

  PreviewScene m_scene;
  std::unique_ptr<QVulkanInstance> m_instance;
  PreviewWindow* m_window = nullptr;  // owned by m_container
  QWidget* m_container = nullptr;
  PreviewOffscreenView* m_offscreen = nullptr;  // child; deleted before m_instance
  PreviewFallbackView* m_fallback = nullptr;
  QLabel* m_reasonLabel = nullptr;
  QString m_reason;
  QTimer m_playTimer;
  enum class Drag { Invalid = 0, None, Pan, Divider } m_drag = Drag::None;
  QPointF m_lastPos;
  QPoint m_lastInspected{-1, -1};
};

}  // namespace ns::ui
