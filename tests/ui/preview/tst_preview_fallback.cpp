// Tests ui/preview/ without Vulkan: the forced QPainter fallback (reason shown, same picture as
// referenceRender) and the PreviewWidget interaction that both backends share (zoom about the
// pointer, pan, divider drag, pixel inspector, playback, thread-safe setFrames).
#include "tests/support/ns_test.h"

#include <QLabel>
#include <QSignalSpy>
#include <QWheelEvent>
#include <atomic>
#include <memory>
#include <thread>

#include "tests/ui/preview/preview_test_frames.h"
#include "ui/preview/preview_fallback_view.h"
#include "ui/preview/preview_widget.h"
#include "ui/preview/reference_render.h"

using namespace ns::ui;

namespace {
bool waitShown(PreviewWidget& w, int timeoutMs = 3000) {
  QSignalSpy spy(&w, &PreviewWidget::frameShown);
  w.requestRender();
  return spy.wait(timeoutMs);
}

// A shown fallback preview whose drawing area is exactly `view` pixels.
std::unique_ptr<PreviewWidget> openFallback(QSize view) {
  PreviewOptions o;
  o.forceFallback = true;
  auto w = std::make_unique<PreviewWidget>(nullptr, o);
  auto* label = w->findChild<QLabel*>();
  w->resize(view.width(), view.height() + (label ? label->sizeHint().height() : 0));
  w->show();
  if (!QTest::qWaitForWindowExposed(w.get())) return w;  // the callers' waits then fail with a message
  auto* v = w->findChild<PreviewFallbackView*>();
  if (v && v->size() != view) {  // style-dependent spacing: correct once
    w->resize(w->width() + view.width() - v->width(), w->height() + view.height() - v->height());
    QTest::qWait(20);
  }
  return w;
}

void sendMouse(QWidget* v, QEvent::Type type, QPointF pos, Qt::MouseButton button, Qt::MouseButtons buttons) {
  QMouseEvent e(type, pos, v->mapToGlobal(pos), button, buttons, Qt::NoModifier);
  QCoreApplication::sendEvent(v, &e);
}
}  // namespace

class TstPreviewFallback : public QObject {
  Q_OBJECT
 private slots:
  void forcedFallbackShowsReason();
  void environmentForcesFallback();
  void noVulkanDriverFallsBack();
  void fallbackMatchesReference();
  void wheelZoomKeepsPointUnderPointer();
  void dragPans();
  void dividerDragMovesSplit();
  void inspectorReportsPixelUnderPointer();
  void playbackAdvancesAndWraps();
  void setFramesFromAnotherThread();
};

void TstPreviewFallback::forcedFallbackShowsReason() {
  PreviewOptions o;
  o.forceFallback = true;
  PreviewWidget w(nullptr, o);
  QVERIFY(!w.usingVulkan());
  QVERIFY(w.vulkanWindow() == nullptr);
  QVERIFY2(!w.fallbackReason().isEmpty() && !w.fallbackReason().contains('\n'), qPrintable(w.fallbackReason()));
  w.show();
  auto* label = w.findChild<QLabel*>();
  QVERIFY(label && label->isVisible());
  QCOMPARE(label->text(), w.fallbackReason());
  QCOMPARE(w.uploadCount(), -1);
}

void TstPreviewFallback::environmentForcesFallback() {
  qputenv("NS_PREVIEW_FORCE_FALLBACK", "1");
  PreviewWidget w;
  qunsetenv("NS_PREVIEW_FORCE_FALLBACK");
  QVERIFY(!w.usingVulkan());
  QVERIFY2(w.fallbackReason().contains("NS_PREVIEW_FORCE_FALLBACK"), qPrintable(w.fallbackReason()));
}

void TstPreviewFallback::noVulkanDriverFallsBack() {
  // The Vulkan loader finds no driver: instance creation (or device enumeration) fails, and the
  // widget must say so and still draw.
  const QByteArray old = qgetenv("VK_ICD_FILENAMES");
  qputenv("VK_ICD_FILENAMES", "/nonexistent/ns_no_such_icd.json");
  auto w = std::make_unique<PreviewWidget>();
  if (old.isEmpty()) qunsetenv("VK_ICD_FILENAMES"); else qputenv("VK_ICD_FILENAMES", old);
  QVERIFY(!w->usingVulkan());
  QVERIFY2(w->fallbackReason().contains("Vulkan unavailable"), qPrintable(w->fallbackReason()));
  const ns::FrameBuffer f = nstest::rgbFrames(64, 48);
  w->setFrames(f);
  w->resize(64, 200);
  w->show();
  QVERIFY(waitShown(*w));
  QVERIFY(!w->grabPreview().isNull());
}

void TstPreviewFallback::fallbackMatchesReference() {
  const ns::FrameBuffer f = nstest::rgbFrames(180, 120, 2);
  auto w = openFallback(QSize(180, 120));
  w->setFrames(f);
  w->setCurrentFrame(1);
  QVERIFY(waitShown(*w));
  PreviewParams p;
  p.frame = 1;
  QImage g = w->grabPreview();
  QCOMPARE(g.size(), QSize(180, 120));
  nstest::ImageDiff d = nstest::compareImages(g, referenceRender(f, p));
  QVERIFY2(d.maxDiff == 0, qPrintable(QString("RGB fallback: max diff %1").arg(d.maxDiff)));
  // Heat map through the same path.
  const ns::FrameBuffer n = nstest::noiseFrames(180, 120, 4);
  w->setFrames(n);
  w->setMode(PreviewMode::NoiseChannel);
  w->setNoiseChannel(3);
  QVERIFY(waitShown(*w));
  p.mode = PreviewMode::NoiseChannel;
  p.noiseChannel = 3;
  p.frame = 1;  // clamped to the single frame, as the widget does
  d = nstest::compareImages(w->grabPreview(), referenceRender(n, p));
  QVERIFY2(d.maxDiff == 0, qPrintable(QString("heat fallback: max diff %1").arg(d.maxDiff)));
}

void TstPreviewFallback::wheelZoomKeepsPointUnderPointer() {
  auto w = openFallback(QSize(200, 100));
  w->setFrames(nstest::rgbFrames(100, 50));  // fit scale 2
  QVERIFY(waitShown(*w));
  auto* v = w->findChild<PreviewFallbackView*>();
  const QPointF anchor(130, 40);
  const QPointF before = w->viewToImage(anchor);
  QVERIFY2(std::abs(before.x() - 65) < 1e-9 && std::abs(before.y() - 20) < 1e-9,
           qPrintable(QString("fit mapping %1,%2").arg(before.x()).arg(before.y())));
  QWheelEvent e(anchor, v->mapToGlobal(anchor), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
  QCoreApplication::sendEvent(v, &e);
  QVERIFY2(std::abs(w->zoom() - 1.25) < 1e-9, qPrintable(QString("zoom %1").arg(w->zoom())));
  const QPointF after = w->viewToImage(anchor);
  QVERIFY2(std::abs(after.x() - before.x()) < 1e-9 && std::abs(after.y() - before.y()) < 1e-9,
           qPrintable(QString("point moved to %1,%2").arg(after.x()).arg(after.y())));
  w->resetView();
  QCOMPARE(w->zoom(), 1.0);
}

void TstPreviewFallback::dragPans() {
  auto w = openFallback(QSize(200, 100));
  w->setFrames(nstest::rgbFrames(100, 50));
  auto* v = w->findChild<PreviewFallbackView*>();
  sendMouse(v, QEvent::MouseButtonPress, QPointF(50, 50), Qt::LeftButton, Qt::LeftButton);
  sendMouse(v, QEvent::MouseMove, QPointF(60, 55), Qt::NoButton, Qt::LeftButton);
  sendMouse(v, QEvent::MouseMove, QPointF(70, 60), Qt::NoButton, Qt::LeftButton);
  sendMouse(v, QEvent::MouseButtonRelease, QPointF(70, 60), Qt::LeftButton, Qt::NoButton);
  QCOMPARE(w->pan(), QPointF(20, 10));
  sendMouse(v, QEvent::MouseMove, QPointF(90, 60), Qt::NoButton, Qt::NoButton);  // no button: no pan
  QCOMPARE(w->pan(), QPointF(20, 10));
}

void TstPreviewFallback::dividerDragMovesSplit() {
  auto w = openFallback(QSize(200, 100));
  w->setFrames(nstest::rgbFrames(200, 100));
  w->setSecondaryFrames(nstest::rgbFrames(200, 100, 1, 9));
  w->setMode(PreviewMode::SplitAB);
  w->setSplitPosition(0.5);
  QVERIFY(waitShown(*w));
  auto* v = w->findChild<PreviewFallbackView*>();
  sendMouse(v, QEvent::MouseButtonPress, QPointF(103, 50), Qt::LeftButton, Qt::LeftButton);  // within 6 px
  sendMouse(v, QEvent::MouseMove, QPointF(50, 50), Qt::NoButton, Qt::LeftButton);
  sendMouse(v, QEvent::MouseButtonRelease, QPointF(50, 50), Qt::LeftButton, Qt::NoButton);
  QVERIFY2(std::abs(w->splitPosition() - 0.25) < 1e-9, qPrintable(QString("split %1").arg(w->splitPosition())));
  QCOMPARE(w->pan(), QPointF());  // a divider drag is not a pan
  // The fallback draws the divider: white at x = 50.
  QVERIFY(waitShown(*w));
  QCOMPARE(w->grabPreview().pixel(50, 50), qRgb(255, 255, 255));
}

void TstPreviewFallback::inspectorReportsPixelUnderPointer() {
  auto w = openFallback(QSize(200, 100));
  const ns::FrameBuffer f = nstest::flowFrames(100, 50);  // fit scale 2
  w->setFrames(f);
  QVERIFY(waitShown(*w));
  auto* v = w->findChild<PreviewFallbackView*>();
  QSignalSpy spy(w.get(), &PreviewWidget::pixelInspected);
  sendMouse(v, QEvent::MouseMove, QPointF(61, 21), Qt::NoButton, Qt::NoButton);
  sendMouse(v, QEvent::MouseMove, QPointF(60.5, 20.5), Qt::NoButton, Qt::NoButton);  // same pixel: no repeat
  QCOMPARE(spy.count(), 1);
  QCOMPARE(spy.at(0).at(0).toInt(), 30);
  QCOMPARE(spy.at(0).at(1).toInt(), 10);
  QCOMPARE(spy.at(0).at(2).toString(), pixelValueText(f, 0, 30, 10, 0));
  QVERIFY(spy.at(0).at(2).toString().contains("|v|"));
}

void TstPreviewFallback::playbackAdvancesAndWraps() {
  auto w = openFallback(QSize(64, 48));
  w->setFrames(nstest::rgbFrames(64, 48, 3));
  QVERIFY(waitShown(*w));
  QSignalSpy spy(w.get(), &PreviewWidget::frameShown);
  w->play(100.0);
  QVERIFY(w->isPlaying());
  QVERIFY(QTest::qWaitFor([&] { return spy.count() >= 4; }, 3000));
  w->pause();
  QVERIFY(!w->isPlaying());
  QList<int> shown;
  for (const auto& args : spy) shown << args.at(0).toInt();
  // Frames advance by one and wrap 2 -> 0 (repaints of the same frame may repeat an index).
  QVERIFY2(shown.contains(1) && shown.contains(2) && shown.contains(0),
           qPrintable(QString("shown %1").arg([&] { QStringList s; for (int i : shown) s << QString::number(i); return s.join(','); }())));
  for (int i = 1; i < shown.size(); ++i)
    QVERIFY2(shown[i] == shown[i - 1] || shown[i] == (shown[i - 1] + 1) % 3, "frames skipped or went backwards");
  const int stopped = w->currentFrame();
  QTest::qWait(60);
  QCOMPARE(w->currentFrame(), stopped);
}

void TstPreviewFallback::setFramesFromAnotherThread() {
  auto w = openFallback(QSize(96, 64));
  std::atomic<bool> done{false};
  std::thread producer([&] {
    for (int i = 0; i < 30; ++i) w->setFrames(nstest::rgbFrames(96, 64, 1, 200 + i));
    done = true;
  });
  QVERIFY(QTest::qWaitFor([&] { return done.load(); }, 10000));
  producer.join();
  QVERIFY(waitShown(*w));
  const nstest::ImageDiff d = nstest::compareImages(w->grabPreview(), referenceRender(nstest::rgbFrames(96, 64, 1, 229), PreviewParams{}));
  QVERIFY2(d.maxDiff == 0, qPrintable(QString("last frame from the producer not shown: max diff %1").arg(d.maxDiff)));
}

NS_REGISTER_TEST(TstPreviewFallback, forcedFallbackShowsReason, environmentForcesFallback, noVulkanDriverFallsBack,
                 fallbackMatchesReference,
                 wheelZoomKeepsPointUnderPointer, dragPans, dividerDragMovesSplit, inspectorReportsPixelUnderPointer,
                 playbackAdvancesAndWraps, setFramesFromAnotherThread)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_preview_fallback.moc"
#endif
