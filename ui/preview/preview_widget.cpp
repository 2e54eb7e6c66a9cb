#include "ui/preview/preview_widget.h"

#include <QLabel>
#include <QVBoxLayout>
#include <QVulkanFunctions>
#include <QVulkanInstance>
#include <algorithm>
#include <cmath>
#include <vector>
#include <spdlog/spdlog.h>

#include "ui/preview/preview_fallback_view.h"
#include "ui/preview/preview_offscreen_renderer.h"
#include "ui/preview/preview_offscreen_view.h"
#include "ui/preview/preview_renderer.h"
#include "ui/preview/preview_window.h"
#include "ui/preview/reference_render.h"

namespace ns::ui {
namespace {
bool envFlag(const char* name) { return qEnvironmentVariableIntValue(name) != 0; }
constexpr double kDividerGrab = 6.0;  // view px either side of the divider that start a divider drag
}  // namespace

PreviewWidget::PreviewWidget(QWidget* parent, PreviewOptions options) : QWidget(parent) {
  setToolTip(tr("Preview: drag to pan, wheel to zoom; in A/B mode drag the divider"));
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(0);
  m_reasonLabel = new QLabel(this);
  m_reasonLabel->setVisible(false);
  m_reasonLabel->setWordWrap(false);
  // One line that never widens the dock: a long reason is cut, the full text is the tooltip.
  m_reasonLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
  layout->addWidget(m_reasonLabel);
  connect(&m_playTimer, &QTimer::timeout, this, &PreviewWidget::advanceFrame);

  if (options.forceFallback || envFlag("NS_PREVIEW_FORCE_FALLBACK")) {
    switchToFallback(tr("Vulkan preview off (NS_PREVIEW_FORCE_FALLBACK); drawing with QPainter."));
    return;
  }
  m_instance = std::make_unique<QVulkanInstance>();
  if (options.validation || envFlag("NS_VULKAN_VALIDATION")) {
    const QByteArray layer("VK_LAYER_KHRONOS_validation");
    if (m_instance->supportedLayers().contains(layer))
      m_instance->setLayers({layer});
    else
      spdlog::warn("preview: validation requested but {} is not installed", layer.constData());
  }
  if (!m_instance->create()) {
    const QString reason = tr("Vulkan unavailable (instance creation failed, VkResult %1); drawing with QPainter.")
                               .arg(int(m_instance->errorCode()));
    m_instance.reset();
    switchToFallback(reason);
    return;
  }
  PreviewPresent present = options.present;
  const QByteArray env = qgetenv("NS_PREVIEW_PRESENT");
  if (present == PreviewPresent::Auto && env == "swapchain") present = PreviewPresent::SwapChain;
  if (present == PreviewPresent::Auto && env == "offscreen") present = PreviewPresent::Offscreen;
  createVulkanView(present);
}

bool PreviewWidget::createVulkanView(PreviewPresent present) {
  // The first device, as QVulkanWindow picks by default.
  QVulkanFunctions* f = m_instance->functions();
  uint32_t count = 0;
  f->vkEnumeratePhysicalDevices(m_instance->vkInstance(), &count, nullptr);
  std::vector<VkPhysicalDevice> devices(count);
  if (count > 0) f->vkEnumeratePhysicalDevices(m_instance->vkInstance(), &count, devices.data());
  if (count == 0 || devices.empty()) {
    switchToFallback(tr("Vulkan unavailable (no physical device); drawing with QPainter."));
    return false;
  }
  VkPhysicalDeviceProperties props;
  f->vkGetPhysicalDeviceProperties(devices[0], &props);
  if (present == PreviewPresent::Auto)
    present = props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU ? PreviewPresent::Offscreen : PreviewPresent::SwapChain;
  auto* layout = static_cast<QVBoxLayout*>(this->layout());

  if (present == PreviewPresent::Offscreen) {
    spdlog::info("preview: Vulkan on {} ({}), drawn offscreen and presented by Qt", props.deviceName,
                 props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU ? "a CPU device" : "asked for");
    auto* view = new PreviewOffscreenView(m_instance.get(), devices[0], &m_scene, this);
    m_offscreen = view;
    layout->addWidget(view, 1);
    connect(view, &PreviewOffscreenView::frameRendered, this, &PreviewWidget::frameShown);
    // A view replaced after a synchronous failure may still deliver its queued report: ignore it.
    connect(view, &PreviewOffscreenView::failed, this, [this, view](const QString& reason) {
      if (m_offscreen == view) switchToFallback(reason);
    });
    connectInput(view);
    if (!view->create()) {
      switchToFallback(tr("%1; drawing with QPainter.").arg(view->renderer()->failure()));
      return false;
    }
    return true;
  }

  spdlog::info("preview: Vulkan on {}, drawn into a swap chain", props.deviceName);
  m_window = new PreviewWindow(&m_scene);
  m_window->setVulkanInstance(m_instance.get());
  m_container = QWidget::createWindowContainer(m_window, this);
  m_container->setMinimumSize(16, 16);
  m_container->setFocusPolicy(Qt::StrongFocus);
  layout->addWidget(m_container, 1);
  connect(m_window, &PreviewWindow::frameRendered, this, &PreviewWidget::frameShown);
  connect(m_window, &PreviewWindow::failed, this, [this](const QString& reason) { switchToFallback(reason); });
  connectInput(m_window);

  // QVulkanWindow has no signal for a device it could not create: poll until it is valid once.
  auto* watchdog = new QTimer(this);
  watchdog->setInterval(2000);
  connect(watchdog, &QTimer::timeout, this, [this, watchdog] {
    if (!m_window) return watchdog->deleteLater();
    if (m_window->isValid()) return watchdog->deleteLater();
    if (m_window->isExposed()) {
      watchdog->deleteLater();
      switchToFallback(tr("Vulkan unavailable (device or swap chain could not be created); drawing with QPainter."));
    }
  });
  watchdog->start();
  return true;
}

PreviewWidget::~PreviewWidget() {
  m_playTimer.stop();
  if (m_window) {
    // ~QVulkanWindow alone leaks its Vulkan objects: release them while the instance lives.
    m_window->destroy();
    delete m_container;  // deletes the window
    m_container = nullptr;
    m_window = nullptr;
  }
  delete m_offscreen;  // destroys its device: the instance must still live
  m_offscreen = nullptr;
  m_instance.reset();
}

template <class View>
void PreviewWidget::connectInput(View* view) {
  connect(view, &View::mousePressed, this, [this](QPointF p, Qt::MouseButton b, Qt::KeyboardModifiers) { onPress(p, b); });
  connect(view, &View::mouseMoved, this, &PreviewWidget::onMove);
  connect(view, &View::mouseReleased, this, &PreviewWidget::onRelease);
  connect(view, &View::wheelTurned, this, &PreviewWidget::onWheel);
  connect(view, &View::pointerLeft, this, [this] { m_lastInspected = QPoint(-1, -1); });
}

void PreviewWidget::switchToFallback(const QString& reason) {
  spdlog::warn("preview: {}", reason.toStdString());
  const bool wasVulkan = usingVulkan();
  if (m_window) {
    m_window->destroy();
    m_container->deleteLater();  // may be inside one of the window's signals
    m_container = nullptr;
    m_window = nullptr;
  }
  // Failures reach here queued or from the constructor, never from inside the view's paint event,
  // so it can go now (its device must be gone before the instance is).
  delete m_offscreen;
  m_offscreen = nullptr;
  m_reason = reason;
  m_reasonLabel->setText(reason);
  m_reasonLabel->setToolTip(reason);
  m_reasonLabel->setVisible(true);
  if (!m_fallback) {
    m_fallback = new PreviewFallbackView(&m_scene, this);
    static_cast<QVBoxLayout*>(layout())->addWidget(m_fallback, 1);
    connect(m_fallback, &PreviewFallbackView::frameRendered, this, &PreviewWidget::frameShown);
    connectInput(m_fallback);
  }
  if (wasVulkan) emit failed(reason);
  requestRender();
}

void PreviewWidget::requestRender() {
  if (m_window)
    m_window->requestUpdate();
  else if (m_offscreen)
    m_offscreen->update();
  else if (m_fallback)
    m_fallback->update();
}

void PreviewWidget::setFrames(FrameBuffer frames) { setFrames(std::make_shared<const FrameBuffer>(std::move(frames))); }
void PreviewWidget::setSecondaryFrames(FrameBuffer frames) {
  setSecondaryFrames(std::make_shared<const FrameBuffer>(std::move(frames)));
}

void PreviewWidget::setFrames(FramesPtr frames) {
  m_scene.setPrimary(std::move(frames));
  // Queued so any thread may call; repeated requests before the next frame coalesce.
  QMetaObject::invokeMethod(this, &PreviewWidget::requestRender, Qt::QueuedConnection);
}

void PreviewWidget::setSecondaryFrames(FramesPtr frames) {
  m_scene.setSecondary(std::move(frames));
  QMetaObject::invokeMethod(this, &PreviewWidget::requestRender, Qt::QueuedConnection);
}

void PreviewWidget::setMode(PreviewMode mode) {
  m_scene.params.mode = mode;
  requestRender();
}

void PreviewWidget::setCurrentFrame(int index) {
  m_scene.params.frame = std::max(0, index);
  requestRender();
}

void PreviewWidget::setNoiseChannel(int channel) {
  m_scene.params.noiseChannel = std::max(0, channel);
  requestRender();
}

void PreviewWidget::setSplitPosition(double fraction) {
  m_scene.params.splitFraction = std::clamp(fraction, 0.0, 1.0);
  requestRender();
}

void PreviewWidget::setOnionAlpha(double alpha) {
  m_scene.params.onionAlpha = std::clamp(alpha, 0.0, 0.5);
  requestRender();
}

void PreviewWidget::play(double fps) {
  if (!(fps > 0.0)) return pause();
  m_playTimer.start(std::max(1, int(std::lround(1000.0 / fps))));
}

void PreviewWidget::pause() { m_playTimer.stop(); }

void PreviewWidget::advanceFrame() {
  const auto snap = m_scene.snapshot();
  const int count = snap.primary ? snap.primary->count : 0;
  if (count <= 0) return;
  setCurrentFrame((clampFrame(*snap.primary, m_scene.params.frame) + 1) % count);
}

QSizeF PreviewWidget::viewSize() const {
  if (m_window) return QSizeF(m_window->size());
  if (m_offscreen) return QSizeF(m_offscreen->size());
  if (m_fallback) return QSizeF(m_fallback->size());
  return {};
}

static QSize imageSize(const PreviewScene::Snapshot& s) {
  return s.primary ? QSize(s.primary->width, s.primary->height) : QSize();
}

void PreviewWidget::setZoom(double zoom) {
  m_scene.zoom = std::clamp(zoom, 0.05, 256.0);
  requestRender();
}

void PreviewWidget::zoomAbout(double factor, QPointF viewPos) {
  m_scene.zoomAbout(factor, viewPos, viewSize(), imageSize(m_scene.snapshot()));
  requestRender();
}

void PreviewWidget::resetView() {
  m_scene.resetView();
  requestRender();
}

QPointF PreviewWidget::viewToImage(QPointF viewPos) const {
  return m_scene.viewToImage(viewPos, viewSize(), imageSize(m_scene.snapshot()));
}

void PreviewWidget::onPress(QPointF pos, Qt::MouseButton button) {
  m_lastPos = pos;
  if (button == Qt::LeftButton && m_scene.params.mode == PreviewMode::SplitAB) {
    const auto snap = m_scene.snapshot();
    const ViewLayout l = m_scene.layout(viewSize(), imageSize(snap));
    const double dividerX = l.origin.x() + m_scene.params.splitFraction * imageSize(snap).width() * l.scale;
    if (std::abs(pos.x() - dividerX) <= kDividerGrab) {
      m_drag = Drag::Divider;
      return;
    }
  }
  m_drag = (button == Qt::LeftButton || button == Qt::MiddleButton) ? Drag::Pan : Drag::None;
}

void PreviewWidget::onMove(QPointF pos, Qt::MouseButtons buttons) {
  const auto snap = m_scene.snapshot();
  if (m_drag == Drag::Divider && buttons) {
    const QSize img = imageSize(snap);
    if (img.width() > 0) setSplitPosition(viewToImage(pos).x() / img.width());
  } else if (m_drag == Drag::Pan && buttons) {
    m_scene.pan += pos - m_lastPos;
    requestRender();
  }
  m_lastPos = pos;
  if (!snap.primary || snap.primary->empty()) return;
  // Pixel inspector: the buffer under the pointer (the source left of the divider in SplitAB).
  const QPointF ip = viewToImage(pos);
  const int x = int(std::floor(ip.x())), y = int(std::floor(ip.y()));
  if (x < 0 || y < 0 || x >= snap.primary->width || y >= snap.primary->height) return;
  if (QPoint(x, y) == m_lastInspected) return;
  m_lastInspected = QPoint(x, y);
  const PreviewParams& p = m_scene.params;
  QString text;
  if (p.mode == PreviewMode::SplitAB && snap.secondary && !snap.secondary->empty() &&
      ip.x() < p.splitFraction * snap.primary->width) {
    const auto& s = *snap.secondary;
    const int sx = std::min(int(std::floor(ip.x() * s.width / snap.primary->width)), s.width - 1);
    const int sy = std::min(int(std::floor(ip.y() * s.height / snap.primary->height)), s.height - 1);
    text = tr("source ") + pixelValueText(s, p.frame, sx, sy, p.noiseChannel);
  } else {
    text = pixelValueText(*snap.primary, p.frame, x, y, p.noiseChannel);
  }
  emit pixelInspected(x, y, text);
}

void PreviewWidget::onRelease(QPointF, Qt::MouseButton) { m_drag = Drag::None; }

void PreviewWidget::onWheel(QPointF pos, int angleDeltaY) {
  // One notch (120) zooms by 1.25; smooth-scrolling devices send smaller deltas.
  zoomAbout(std::pow(1.25, angleDeltaY / 120.0), pos);
}

QImage PreviewWidget::grabPreview() {
  if (m_window) {
    QImage img = m_window->grab();
    // Qt 6.4 labels the BGRA swap-chain bytes as RGBA.
    if (m_window->colorFormat() == VK_FORMAT_B8G8R8A8_UNORM || m_window->colorFormat() == VK_FORMAT_B8G8R8A8_SRGB)
      img = img.rgbSwapped();
    return img.convertToFormat(QImage::Format_RGB32);
  }
  if (m_offscreen) return m_offscreen->grab().toImage().convertToFormat(QImage::Format_RGB32);
  if (m_fallback) return m_fallback->grab().toImage().convertToFormat(QImage::Format_RGB32);
  return {};
}

QString PreviewWidget::drawingPath() const {
  if (m_window) return QStringLiteral("vulkan swap chain");
  if (m_offscreen) return QStringLiteral("vulkan offscreen");
  return QStringLiteral("qpainter");
}

int PreviewWidget::uploadCount() const {
  if (m_offscreen) return m_offscreen->renderer()->uploadCount();
  return m_window && m_window->renderer() ? m_window->renderer()->uploadCount() : -1;
}

}  // namespace ns::ui
