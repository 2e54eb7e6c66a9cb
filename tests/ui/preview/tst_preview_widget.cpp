// Tests ui/preview/ Vulkan paths (PreviewWidget + PreviewDrawer + preview.frag, presented through
// PreviewOffscreenView or PreviewWindow's swap chain) on lavapipe under xvfb-run: every mode's
// grab matches referenceRender() of the same input, resizing recreates the render target,
// unchanged frames are not re-uploaded, only the latest setFrames is drawn, Auto picks the
// offscreen path on a CPU device, and the validation layer reports nothing. The CTest entry
// tst_ui_preview runs the default (offscreen on lavapipe); tst_ui_preview_swapchain runs this
// class again with NS_PREVIEW_PRESENT=swapchain. Skips (with the reason) when no Vulkan instance
// can be made here; tst_preview_fallback covers the QPainter path regardless.
#include "tests/support/ns_test.h"

#include <QLabel>
#include <QSignalSpy>
#include <QVulkanFunctions>
#include <QVulkanInstance>
#include <memory>

#include "tests/ui/preview/preview_test_frames.h"
#include "ui/preview/preview_offscreen_renderer.h"
#include "ui/preview/preview_offscreen_view.h"
#include "ui/preview/preview_widget.h"
#include "ui/preview/preview_window.h"
#include "ui/preview/reference_render.h"

using namespace ns::ui;

namespace {
int g_validationMessages = 0;
QStringList g_validationTexts;

// QVulkanInstance::DebugFilter: counts what the validation layer reports (returns false so Qt
// still logs it).
bool countValidation(VkDebugReportFlagsEXT flags, VkDebugReportObjectTypeEXT, uint64_t, size_t, int32_t,
                     const char* prefix, const char* message) {
  if (flags & (VK_DEBUG_REPORT_ERROR_BIT_EXT | VK_DEBUG_REPORT_WARNING_BIT_EXT |
               VK_DEBUG_REPORT_PERFORMANCE_WARNING_BIT_EXT)) {
    ++g_validationMessages;
    if (g_validationTexts.size() < 5) g_validationTexts << QString("%1: %2").arg(prefix, message);
  }
  return false;
}

QString validationReport() {
  return QString("%1 validation message(s): %2").arg(g_validationMessages).arg(g_validationTexts.join(" | "));
}

// The device the shown Vulkan view draws with (swap chain or offscreen).
VkDevice deviceOf(const PreviewWidget& w) {
  if (w.vulkanWindow()) return w.vulkanWindow()->device();
  return w.offscreenView() ? w.offscreenView()->renderer()->device() : VK_NULL_HANDLE;
}

// The swap chain is valid / the offscreen renderer has not failed.
bool viewValid(const PreviewWidget& w) {
  if (w.vulkanWindow()) return w.vulkanWindow()->isValid();
  return w.offscreenView() && !w.offscreenView()->renderer()->failed();
}

bool waitShown(PreviewWidget& w, int timeoutMs = 5000) {
  QSignalSpy spy(&w, &PreviewWidget::frameShown);
  w.requestRender();
  return spy.wait(timeoutMs);
}
}  // namespace

class TstPreviewWidget : public QObject {
  Q_OBJECT
 private slots:
  void validationLayerActive();
  void rgbMatchesReference();
  void noiseHeatMatchesReference();
  void flowWheelMatchesReference();
  void splitMatchesReference();
  void onionMatchesReference();
  void resizeRecreatesTarget();
  void uploadsOnlyWhenFramesChange();
  void stagingPathMatchesReference();
  void readbackCopyPathMatchesReference();
  void inspectorOnVulkanView();
  void presentPathFollowsDevice();

 private:
  // A shown Vulkan preview with validation on, or null with `why` set.
  std::unique_ptr<PreviewWidget> open(QSize size, QString* why);
  // Renders `params` over `frames` at 1:1 and compares with the reference.
  nstest::ImageDiff renderAndCompare(const ns::FrameBuffer& frames, const PreviewParams& params,
                                     const ns::FrameBuffer* secondary, QString* why, int skipX0 = -1, int skipX1 = -1,
                                     QImage* grabbed = nullptr);
};

std::unique_ptr<PreviewWidget> TstPreviewWidget::open(QSize size, QString* why) {
  PreviewOptions o;
  o.validation = true;
  auto w = std::make_unique<PreviewWidget>(nullptr, o);
  if (!w->usingVulkan()) {
    *why = w->fallbackReason();
    return nullptr;
  }
  w->vulkanInstance()->installDebugOutputFilter(countValidation);
  w->resize(size);
  w->show();
  if (!QTest::qWaitForWindowExposed(w.get())) {
    *why = "preview window never exposed";
    return nullptr;
  }
  return w;
}

nstest::ImageDiff TstPreviewWidget::renderAndCompare(const ns::FrameBuffer& frames, const PreviewParams& params,
                                                     const ns::FrameBuffer* secondary, QString* why, int skipX0,
                                                     int skipX1, QImage* grabbed) {
  auto w = open(QSize(frames.width, frames.height), why);
  if (!w) return {};
  w->setFrames(frames);
  if (secondary) w->setSecondaryFrames(*secondary);
  w->setMode(params.mode);
  w->setCurrentFrame(params.frame);
  w->setNoiseChannel(params.noiseChannel);
  w->setSplitPosition(params.splitFraction);
  w->setOnionAlpha(params.onionAlpha);
  if (!waitShown(*w)) {
    *why = "no frame shown within 5 s";
    return {};
  }
  const QImage g = w->grabPreview();
  if (grabbed) *grabbed = g;
  const QImage ref = referenceRender(frames, params, secondary);
  if (g.size() != ref.size()) *why = QString("grab %1x%2 vs image %3x%4").arg(g.width()).arg(g.height()).arg(ref.width()).arg(ref.height());
  w.reset();  // leaks would be reported now, while the instance lives
  const nstest::ImageDiff d = nstest::compareImages(g, ref, skipX0, skipX1);
  qInfo("mode %d %dx%d: max diff %d/255, mean %.4f over %d px", int(params.mode), frames.width, frames.height,
        d.maxDiff, d.meanDiff, d.compared);
  return d;
}

void TstPreviewWidget::validationLayerActive() {
  QVulkanInstance probe;
  if (!probe.supportedLayers().contains("VK_LAYER_KHRONOS_validation")) QSKIP("VK_LAYER_KHRONOS_validation not installed");
  QString why;
  auto w = open(QSize(64, 48), &why);
  if (!w) QSKIP(qPrintable("Vulkan unavailable here: " + why));
  QVulkanInstance* inst = w->vulkanInstance();
  QVERIFY2(inst->layers().contains("VK_LAYER_KHRONOS_validation"), "validation layer not enabled");
  QVERIFY2(inst->extensions().contains("VK_EXT_debug_report"), "debug report extension not enabled: messages would be lost");
  w->setFrames(nstest::rgbFrames(64, 48));
  QVERIFY(waitShown(*w));
  QVERIFY(viewValid(*w));
  qInfo("drawing path: %s%s", qPrintable(w->drawingPath()),
        w->offscreenView() && w->offscreenView()->renderer()->readsTargetInPlace() ? " (linear target read in place)" : "");
  // Positive control: an invalid call must reach the counter, or "0 messages" below means nothing.
  // (A zero-size buffer is rejected by the layer before it reaches the driver.)
  const int before = g_validationMessages;
  VkBufferCreateInfo bad{};
  bad.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  bad.size = 0;
  bad.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT;
  VkBuffer buf = VK_NULL_HANDLE;
  const VkDevice dev = deviceOf(*w);
  QVERIFY(dev != VK_NULL_HANDLE);
  QVulkanDeviceFunctions* df = inst->deviceFunctions(dev);
  const VkResult r = df->vkCreateBuffer(dev, &bad, nullptr, &buf);
  if (r == VK_SUCCESS && buf) df->vkDestroyBuffer(dev, buf, nullptr);
  QVERIFY2(g_validationMessages > before, "the validation layer did not report an invalid vkCreateBuffer");
  g_validationMessages = before;
  g_validationTexts.clear();
  w.reset();
  QVERIFY2(g_validationMessages == 0, qPrintable(validationReport()));
}

void TstPreviewWidget::rgbMatchesReference() {
  const ns::FrameBuffer f = nstest::rgbFrames(240, 160, 2);
  PreviewParams p;
  p.frame = 1;
  QString why;
  const nstest::ImageDiff d = renderAndCompare(f, p, nullptr, &why);
  if (!why.isEmpty() && d.compared == 0 && why.contains("unavailable")) QSKIP(qPrintable(why));
  QVERIFY2(why.isEmpty(), qPrintable(why));
  QVERIFY2(d.compared == 240 * 160 && d.maxDiff <= 2,
           qPrintable(QString("RGB: max diff %1/255, mean %2 over %3 px").arg(d.maxDiff).arg(d.meanDiff).arg(d.compared)));
  QVERIFY2(g_validationMessages == 0, qPrintable(validationReport()));
}

void TstPreviewWidget::noiseHeatMatchesReference() {
  const ns::FrameBuffer f = nstest::noiseFrames(200, 150, 8, 2, 0.7f);
  PreviewParams p;
  p.mode = PreviewMode::NoiseChannel;
  p.frame = 1;
  p.noiseChannel = 5;
  QString why;
  const nstest::ImageDiff d = renderAndCompare(f, p, nullptr, &why);
  if (d.compared == 0 && why.contains("unavailable")) QSKIP(qPrintable(why));
  QVERIFY2(why.isEmpty(), qPrintable(why));
  // Tolerance 3/255: the GPU divides and interpolates in float like the CPU, but may fuse ops.
  QVERIFY2(d.compared == 200 * 150 && d.maxDiff <= 3,
           qPrintable(QString("heat: max diff %1/255, mean %2").arg(d.maxDiff).arg(d.meanDiff)));
  QVERIFY2(g_validationMessages == 0, qPrintable(validationReport()));
}

void TstPreviewWidget::flowWheelMatchesReference() {
  const ns::FrameBuffer f = nstest::flowFrames(200, 150);
  PreviewParams p;
  p.mode = PreviewMode::FlowWheel;
  QString why;
  const nstest::ImageDiff d = renderAndCompare(f, p, nullptr, &why);
  if (d.compared == 0 && why.contains("unavailable")) QSKIP(qPrintable(why));
  QVERIFY2(why.isEmpty(), qPrintable(why));
  // Tolerance 3/255: GPU atan() is an approximation (a few ulp) next to std::atan2.
  QVERIFY2(d.compared == 200 * 150 && d.maxDiff <= 3,
           qPrintable(QString("wheel: max diff %1/255, mean %2").arg(d.maxDiff).arg(d.meanDiff)));
  QVERIFY2(g_validationMessages == 0, qPrintable(validationReport()));
}

void TstPreviewWidget::splitMatchesReference() {
  const ns::FrameBuffer result = nstest::rgbFrames(200, 150, 1, 3);
  ns::FrameBuffer source = nstest::noiseFrames(100, 75, 4, 1, 1.f);  // other size and kind: heat map
  PreviewParams p;
  p.mode = PreviewMode::SplitAB;
  p.splitFraction = 0.4;
  p.noiseChannel = 2;
  QString why;
  QImage g;
  const int splitX = 80;  // 0.4 * 200; the divider line (±1 px) belongs to the view, not the reference
  const nstest::ImageDiff d = renderAndCompare(result, p, &source, &why, splitX - 2, splitX + 2, &g);
  if (d.compared == 0 && why.contains("unavailable")) QSKIP(qPrintable(why));
  QVERIFY2(why.isEmpty(), qPrintable(why));
  QVERIFY2(d.compared == 196 * 150 && d.maxDiff <= 3,
           qPrintable(QString("split: max diff %1/255, mean %2 over %3 px").arg(d.maxDiff).arg(d.meanDiff).arg(d.compared)));
  QCOMPARE(g.pixel(splitX, 70), qRgb(255, 255, 255));
  QVERIFY2(g_validationMessages == 0, qPrintable(validationReport()));
}

void TstPreviewWidget::onionMatchesReference() {
  const ns::FrameBuffer f = nstest::rgbFrames(160, 120, 3, 5);
  PreviewParams p;
  p.mode = PreviewMode::OnionSkin;
  p.frame = 1;
  p.onionAlpha = 0.3;
  QString why;
  const nstest::ImageDiff d = renderAndCompare(f, p, nullptr, &why);
  if (d.compared == 0 && why.contains("unavailable")) QSKIP(qPrintable(why));
  QVERIFY2(why.isEmpty(), qPrintable(why));
  QVERIFY2(d.compared == 160 * 120 && d.maxDiff <= 2,
           qPrintable(QString("onion: max diff %1/255, mean %2").arg(d.maxDiff).arg(d.meanDiff)));
  // First frame: no previous one (its slot holds a placeholder with weight 0).
  p.frame = 0;
  const nstest::ImageDiff d0 = renderAndCompare(f, p, nullptr, &why);
  QVERIFY2(why.isEmpty(), qPrintable(why));
  QVERIFY2(d0.compared == 160 * 120 && d0.maxDiff <= 2,
           qPrintable(QString("onion, first frame: max diff %1/255, mean %2").arg(d0.maxDiff).arg(d0.meanDiff)));
  QVERIFY2(g_validationMessages == 0, qPrintable(validationReport()));
}

void TstPreviewWidget::resizeRecreatesTarget() {
  const ns::FrameBuffer f = nstest::rgbFrames(160, 120);
  QString why;
  auto w = open(QSize(160, 120), &why);
  if (!w) QSKIP(qPrintable("Vulkan unavailable here: " + why));
  w->setFrames(f);
  QVERIFY(waitShown(*w));
  const QImage ref = referenceRender(f, PreviewParams{});
  // Twice the size: nearest 2x magnification of the reference.
  w->resize(320, 240);
  QTest::qWait(50);
  QVERIFY(waitShown(*w));
  QImage g = w->grabPreview();
  QCOMPARE(g.size(), QSize(320, 240));
  nstest::ImageDiff d = nstest::compareImages(g, ref.scaled(320, 240, Qt::IgnoreAspectRatio, Qt::FastTransformation));
  QVERIFY2(d.maxDiff <= 2, qPrintable(QString("2x: max diff %1").arg(d.maxDiff)));
  // Wider than the image's aspect: letterboxed with the background grey at the sides.
  w->resize(400, 120);
  QTest::qWait(50);
  QVERIFY(waitShown(*w));
  g = w->grabPreview();
  QCOMPARE(g.size(), QSize(400, 120));
  QCOMPARE(g.pixel(5, 60), qRgb(41, 41, 41));
  d = nstest::compareImages(g.copy(120, 0, 160, 120), ref);
  QVERIFY2(d.maxDiff <= 2, qPrintable(QString("letterboxed: max diff %1").arg(d.maxDiff)));
  w.reset();
  QVERIFY2(g_validationMessages == 0, qPrintable(validationReport()));
}

void TstPreviewWidget::uploadsOnlyWhenFramesChange() {
  QString why;
  auto w = open(QSize(128, 96), &why);
  if (!w) QSKIP(qPrintable("Vulkan unavailable here: " + why));
  w->setFrames(nstest::rgbFrames(128, 96, 1, 1));
  QVERIFY(waitShown(*w));
  const int inFlight = w->vulkanWindow() ? w->vulkanWindow()->concurrentFrameCount() : 1;
  for (int i = 0; i < inFlight + 1; ++i) QVERIFY(waitShown(*w));  // every frame-in-flight copy filled once
  const int settled = w->uploadCount();
  for (int i = 0; i < 4; ++i) QVERIFY(waitShown(*w));
  QVERIFY2(w->uploadCount() == settled,
           qPrintable(QString("re-uploaded an unchanged frame: %1 -> %2").arg(settled).arg(w->uploadCount())));
  // A burst of x̂0 previews before the next frame: only the latest is uploaded and drawn.
  ns::FrameBuffer last;
  for (int i = 0; i < 20; ++i) {
    last = nstest::rgbFrames(128, 96, 1, 100 + i);
    w->setFrames(last);
  }
  QVERIFY(waitShown(*w));
  const int burstUploads = w->uploadCount() - settled;
  QVERIFY2(burstUploads <= 2, qPrintable(QString("%1 uploads for a burst of 20 setFrames").arg(burstUploads)));
  const nstest::ImageDiff d = nstest::compareImages(w->grabPreview(), referenceRender(last, PreviewParams{}));
  QVERIFY2(d.maxDiff <= 2, qPrintable(QString("latest frame not shown: max diff %1").arg(d.maxDiff)));
  w.reset();
  QVERIFY2(g_validationMessages == 0, qPrintable(validationReport()));
}

void TstPreviewWidget::stagingPathMatchesReference() {
  // lavapipe has unified memory, so the renderer normally writes its buffers directly; this
  // takes the discrete-GPU path (staging buffer + vkCmdCopyBuffer + barriers) instead.
  qputenv("NS_PREVIEW_FORCE_STAGING", "1");
  const ns::FrameBuffer f = nstest::noiseFrames(120, 90, 3, 3, 1.f, 11);
  PreviewParams p;
  p.mode = PreviewMode::OnionSkin;  // three slots uploaded at once, at different staging offsets
  p.frame = 1;
  QString why;
  const nstest::ImageDiff d = renderAndCompare(f, p, nullptr, &why);
  qunsetenv("NS_PREVIEW_FORCE_STAGING");
  if (d.compared == 0 && why.contains("unavailable")) QSKIP(qPrintable(why));
  QVERIFY2(why.isEmpty(), qPrintable(why));
  QVERIFY2(d.compared == 120 * 90 && d.maxDiff <= 3,
           qPrintable(QString("staging path: max diff %1/255, mean %2").arg(d.maxDiff).arg(d.meanDiff)));
  QVERIFY2(g_validationMessages == 0, qPrintable(validationReport()));
}

void TstPreviewWidget::readbackCopyPathMatchesReference() {
  // lavapipe renders to a linear image the offscreen view reads in place; this takes the path of
  // devices that cannot (optimal image + vkCmdCopyImageToBuffer into a mapped buffer), at two sizes.
  qputenv("NS_PREVIEW_FORCE_READBACK", "1");
  QString why;
  auto w = open(QSize(120, 90), &why);
  qunsetenv("NS_PREVIEW_FORCE_READBACK");
  if (!w) QSKIP(qPrintable("Vulkan unavailable here: " + why));
  if (w->offscreenView()) QVERIFY(!w->offscreenView()->renderer()->readsTargetInPlace());
  const ns::FrameBuffer f = nstest::rgbFrames(120, 90, 1, 9);
  w->setFrames(f);
  QVERIFY(waitShown(*w));
  nstest::ImageDiff d = nstest::compareImages(w->grabPreview(), referenceRender(f, PreviewParams{}));
  QVERIFY2(d.compared == 120 * 90 && d.maxDiff <= 2, qPrintable(QString("readback path: max diff %1 over %2 px").arg(d.maxDiff).arg(d.compared)));
  w->resize(240, 180);  // a new target and readback buffer
  QTest::qWait(50);
  QVERIFY(waitShown(*w));
  d = nstest::compareImages(w->grabPreview(), referenceRender(f, PreviewParams{}).scaled(240, 180, Qt::IgnoreAspectRatio, Qt::FastTransformation));
  QVERIFY2(d.compared == 240 * 180 && d.maxDiff <= 2, qPrintable(QString("readback path, 2x: max diff %1 over %2 px").arg(d.maxDiff).arg(d.compared)));
  w.reset();
  QVERIFY2(g_validationMessages == 0, qPrintable(validationReport()));
}

void TstPreviewWidget::inspectorOnVulkanView() {
  QString why;
  auto w = open(QSize(100, 80), &why);
  if (!w) QSKIP(qPrintable("Vulkan unavailable here: " + why));
  const ns::FrameBuffer f = nstest::noiseFrames(50, 40, 3);  // shown at 2x
  w->setFrames(f);
  w->setNoiseChannel(2);
  QVERIFY(waitShown(*w));
  QSignalSpy spy(w.get(), &PreviewWidget::pixelInspected);
  // The event goes where the user's pointer would: the swap chain's window or the offscreen view.
  QObject* target = w->vulkanWindow() ? static_cast<QObject*>(w->vulkanWindow()) : w->offscreenView();
  QVERIFY(target);
  const QPointF global = w->vulkanWindow() ? w->vulkanWindow()->mapToGlobal(QPointF(21, 31))
                                           : w->offscreenView()->mapToGlobal(QPointF(21, 31));
  QMouseEvent move(QEvent::MouseMove, QPointF(21, 31), global, Qt::NoButton, Qt::NoButton, Qt::NoModifier);
  QCoreApplication::sendEvent(target, &move);
  QCOMPARE(spy.count(), 1);
  QCOMPARE(spy.at(0).at(0).toInt(), 10);
  QCOMPARE(spy.at(0).at(1).toInt(), 15);
  QCOMPARE(spy.at(0).at(2).toString(), pixelValueText(f, 0, 10, 15, 2));
  w.reset();
  QVERIFY2(g_validationMessages == 0, qPrintable(validationReport()));
}

void TstPreviewWidget::presentPathFollowsDevice() {
  QString why;
  auto w = open(QSize(64, 48), &why);
  if (!w) QSKIP(qPrintable("Vulkan unavailable here: " + why));
  // What the first device is decides Auto; NS_PREVIEW_PRESENT overrides it.
  QVulkanFunctions* f = w->vulkanInstance()->functions();
  uint32_t count = 1;
  VkPhysicalDevice dev = VK_NULL_HANDLE;
  f->vkEnumeratePhysicalDevices(w->vulkanInstance()->vkInstance(), &count, &dev);
  QVERIFY(dev != VK_NULL_HANDLE);
  VkPhysicalDeviceProperties props;
  f->vkGetPhysicalDeviceProperties(dev, &props);
  const QByteArray env = qgetenv("NS_PREVIEW_PRESENT");
  const bool offscreen = env == "offscreen" || (env != "swapchain" && props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU);
  QCOMPARE(w->drawingPath(), offscreen ? QStringLiteral("vulkan offscreen") : QStringLiteral("vulkan swap chain"));
  QCOMPARE(w->offscreenView() != nullptr, offscreen);
  QCOMPARE(w->vulkanWindow() != nullptr, !offscreen);
  // Either way the picture is drawn and grabbed at the widget's size.
  w->setFrames(nstest::rgbFrames(64, 48));
  QVERIFY(waitShown(*w));
  const nstest::ImageDiff d = nstest::compareImages(w->grabPreview(), referenceRender(nstest::rgbFrames(64, 48), PreviewParams{}));
  QVERIFY2(d.compared == 64 * 48 && d.maxDiff <= 2, qPrintable(QString("max diff %1 over %2 px").arg(d.maxDiff).arg(d.compared)));
  w.reset();
  QVERIFY2(g_validationMessages == 0, qPrintable(validationReport()));
}

NS_REGISTER_TEST(TstPreviewWidget, validationLayerActive, rgbMatchesReference, noiseHeatMatchesReference,
                 flowWheelMatchesReference, splitMatchesReference, onionMatchesReference, resizeRecreatesTarget,
                 uploadsOnlyWhenFramesChange, stagingPathMatchesReference, readbackCopyPathMatchesReference, inspectorOnVulkanView,
                 presentPathFollowsDevice)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_preview_widget.moc"
#endif
