// Issue 19 item 1 in the window: model-planned objects are "shown in the window as they are made,
// re-rolled with a seed button, and replaced by drag-and-drop of an image". Driven with QTest:
//   - a box drawn and keyframed at two frames, then Plan → Paint with the model: the model's
//     sprite appears in the box (the pixels planWithModel paints for that object) and, on the
//     rendered canvas, moves with the box along its path;
//   - Plan → Re-roll selected object: another seed, other sprite pixels; one undo step, and undo
//     shows the first sprite again at once (no model call), redo the second;
//   - an image dropped on a planned object's box replaces its sprite (one undo step); a picture
//     that cannot be read is refused with the file named and changes nothing; a drop beside the
//     boxes still opens the picture as the source photo.
#include "tests/support/ns_test.h"

#include <QAction>
#include <QApplication>
#include <QDropEvent>
#include <QFile>
#include <QFileInfo>
#include <QMimeData>
#include <QPainter>
#include <QPushButton>
#include <QUndoStack>

#include <c10/core/InferenceMode.h>

#include <cmath>

#include "core/engine/model_planning.h"
#include "core/model/builtin_model.h"
#include "tests/ui/ui_test_util.h"
#include "ui/canvas/box_item.h"
#include "ui/canvas/canvas_scene.h"
#include "ui/docks/model_dock.h"
#include "ui/jobs/job_controller.h"
#include "ui/plan/object_sprites.h"
#include "ui/project_document.h"
#include "ui/widgets/error_banner.h"
#include "ui/widgets/timeline_widget.h"

using ns::ui::MainWindow;

namespace {

void drag(MainWindow& w, QPointF a, QPointF b, int steps = 4) {
  QWidget* vp = w.canvasView()->viewport();
  QTest::mousePress(vp, Qt::LeftButton, Qt::NoModifier, uitest::viewPos(w, a));
  for (int i = 1; i <= steps; ++i) QTest::mouseMove(vp, uitest::viewPos(w, a + (b - a) * (double(i) / steps)));
  QTest::mouseRelease(vp, Qt::LeftButton, Qt::NoModifier, uitest::viewPos(w, b));
}

// A file dropped on the window at a canvas point, as a drag from a file manager delivers it.
void dropAt(MainWindow& w, const QString& path, QPointF canvasPoint) {
  const QPoint at = w.canvasView()->viewport()->mapTo(&w, uitest::viewPos(w, canvasPoint));
  QMimeData mime;
  mime.setUrls({QUrl::fromLocalFile(path)});
  QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &enter);
  QVERIFY(enter.isAccepted());
  QDropEvent drop(QPointF(at), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &drop);
}

QAction* action(MainWindow& w, const char* name) { return w.findChild<QAction*>(QLatin1String(name)); }

// How many pixels of two same-size pictures differ by more than `levels` in some channel.
int differingPixels(const QImage& a, const QImage& b, int levels) {
  const QImage x = a.convertToFormat(QImage::Format_RGBA8888), y = b.convertToFormat(QImage::Format_RGBA8888);
  if (x.size() != y.size()) return x.width() * x.height() + 1;
  int n = 0;
  for (int r = 0; r < x.height(); ++r)
    for (int c = 0; c < x.width(); ++c) {
      const QRgb p = x.pixel(c, r), q = y.pixel(c, r);
      if (std::abs(qRed(p) - qRed(q)) > levels || std::abs(qGreen(p) - qGreen(q)) > levels ||
          std::abs(qBlue(p) - qBlue(q)) > levels || std::abs(qAlpha(p) - qAlpha(q)) > levels)
        ++n;
    }
  return n;
}

// The canvas as the user sees it (scene only, no selection handles), `scale` screen pixels per
// canvas pixel.
QImage renderCanvas(MainWindow& w, int scale) {
  const QSize c = w.canvasScene()->canvasSize();
  QImage img(c * scale, QImage::Format_RGB32);
  img.fill(Qt::black);
  QPainter p(&img);
  w.canvasScene()->render(&p, QRectF(QPointF(0, 0), QSizeF(c * scale)), QRectF(QPointF(0, 0), QSizeF(c)));
  return img;
}

// Of the sprite's opaque pixels (alpha 255), the fraction whose colour the rendered canvas shows
// (within 24 levels) where the box `box` (canvas pixels) stretches that pixel to.
double spriteShownAt(const QImage& canvas, int scale, const QImage& sprite, const QRectF& box) {
  int opaque = 0, shown = 0;
  for (int y = 0; y < sprite.height(); ++y)
    for (int x = 0; x < sprite.width(); ++x) {
      const QRgb s = sprite.pixel(x, y);
      if (qAlpha(s) < 255) continue;
      ++opaque;
      const QPoint at(int(std::lround((box.left() + (x + 0.5) * box.width() / sprite.width()) * scale)),
                      int(std::lround((box.top() + (y + 0.5) * box.height() / sprite.height()) * scale)));
      if (!canvas.rect().contains(at)) continue;
      const QRgb c = canvas.pixel(at);
      if (std::abs(qRed(c) - qRed(s)) <= 24 && std::abs(qGreen(c) - qGreen(s)) <= 24 && std::abs(qBlue(c) - qBlue(s)) <= 24)
        ++shown;
    }
  return opaque ? double(shown) / opaque : 0.0;
}

}  // namespace

class TstObjectSprites : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { uitest::isolate(); }
  void generatedSpriteAppearsAndFollowsItsPath();
  void rerollChangesTheSpriteAndUndoes();
  void droppedImageReplacesAPlannedObjectsSprite();

 private:
  // A window with a red ball box drawn at frame 0 and moved at frame 3 (two keyframes), selected.
  bool setUpBoxOnAPath(MainWindow& w);
  QTemporaryDir m_tmp;
};

bool TstObjectSprites::setUpBoxOnAPath(MainWindow& w) {
  w.resize(1200, 800);
  w.show();
  if (!QTest::qWaitForWindowExposed(&w)) return false;
  w.activateWindow();  // xvfb has no window manager: ask for the focus ourselves
  if (!QTest::qWaitForWindowActive(&w)) return false;
  ns::Project p = ns::Project::untitled();
  p.frames = 4;
  p.render.steps = 8;  // the object's planning render: seconds on a CPU
  p.prompt = "a red ball on grass";
  w.document()->reset(p);
  w.setTool(ns::ui::CanvasTool::Box);
  drag(w, {4, 4}, {28, 28});  // 24x24 box at the top left, frame 0
  if (w.document()->project().objects.size() != 1) return false;
  w.setTool(ns::ui::CanvasTool::Select);
  w.canvasScene()->selectObject(QString::fromStdString(w.document()->project().objects[0].id));
  w.timeline()->setCurrentFrame(3);
  drag(w, {16, 16}, {48, 44}, 6);  // body drag by (+32, +28): a keyframe at frame 3
  return w.document()->project().objects[0].trajectory.keys().size() == 2;
}

void TstObjectSprites::generatedSpriteAppearsAndFollowsItsPath() {
  if (ns::findBuiltinModelDir().empty()) QSKIP("the shipped built-in model is not available");
  MainWindow w(nullptr, uitest::testOptions(m_tmp.filePath("a")));
  QVERIFY(setUpBoxOnAPath(w));
  const QString id = QString::fromStdString(w.document()->project().objects[0].id);
  ns::ui::BoxItem* box = w.canvasScene()->boxItem(id);
  QVERIFY(box);
  w.modelDock()->loadButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(w.jobs()->modelLoaded(), 60000);

  // Paint with the model: one undo step; the sprite appears once the model has painted it.
  QVERIFY(box->sprite().isNull());
  const int steps = w.undoStack()->count();
  action(w, "paintObjectWithModelAction")->trigger();
  QCOMPARE(w.undoStack()->count(), steps + 1);
  QCOMPARE(w.document()->project().objects[0].source.kind, ns::SourceKind::Generate);
  QTRY_VERIFY_WITH_TIMEOUT(!box->sprite().isNull(), 120000);
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  const QImage sprite = box->sprite();

  // It is the sprite the planner paints for this object (what the render will draw).
  auto model = ns::loadBuiltinModel(ns::findBuiltinModelDir());
  QVERIFY(model.ok());
  ns::Project only = w.document()->project();
  ns::SketchInputs inputs;
  ns::JobContext ctx;
  {
    c10::InferenceMode guard;
    inputs.background = at::zeros({3, 1, 1});
    auto plan = ns::planWithModel(*model, only, inputs, {}, ctx);
    QVERIFY2(plan.ok(), plan.ok() ? "" : plan.error().message);
    QCOMPARE(int(plan->parts.size()), 1);
    const at::Tensor rgba = plan->parts[0].image;
    QCOMPARE(sprite.width(), int(rgba.size(2)));
    QCOMPARE(sprite.height(), int(rgba.size(1)));
    const at::Tensor bytes = rgba.mul(255).round().clamp(0, 255).to(at::kByte).permute({1, 2, 0}).contiguous();
    const QImage expected(bytes.data_ptr<uint8_t>(), sprite.width(), sprite.height(), 4 * sprite.width(), QImage::Format_RGBA8888);
    const int off = differingPixels(sprite, expected.copy(), 2);
    qInfo("canvas sprite %dx%d vs planWithModel: %d pixels differ by > 2 levels", sprite.width(), sprite.height(), off);
    QVERIFY2(off <= sprite.width() * sprite.height() / 100, qPrintable(QString("%1 pixels differ").arg(off)));
  }
  // A cut-out: some of it transparent, some opaque.
  int transparent = 0, opaque = 0;
  for (int y = 0; y < sprite.height(); ++y)
    for (int x = 0; x < sprite.width(); ++x) {
      const int a = qAlpha(sprite.pixel(x, y));
      transparent += a == 0;
      opaque += a == 255;
    }
  QVERIFY2(transparent > 0 && opaque > 0, qPrintable(QString("transparent %1, opaque %2").arg(transparent).arg(opaque)));

  // On the canvas it is drawn in the box and moves with it along the path.
  w.canvasScene()->clearSelection();
  const int scale = 8;
  w.timeline()->setCurrentFrame(0);
  const QRectF at0 = box->box();
  const QImage canvas0 = renderCanvas(w, scale);
  w.timeline()->setCurrentFrame(3);
  const QRectF at3 = box->box();
  const QImage canvas3 = renderCanvas(w, scale);
  QVERIFY2(at3.center().x() - at0.center().x() > 20 && at3.center().y() - at0.center().y() > 20, "the box did not move");
  QCOMPARE(box->sprite().cacheKey(), sprite.cacheKey());
  const double shown0 = spriteShownAt(canvas0, scale, sprite, at0), shown3 = spriteShownAt(canvas3, scale, sprite, at3);
  const double left3 = spriteShownAt(canvas3, scale, sprite, at0);
  qInfo("sprite's opaque pixels shown: %.2f at frame 0's box, %.2f at frame 3's box; %.2f still at frame 0's place at frame 3",
        shown0, shown3, left3);
  QVERIFY(shown0 > 0.8);
  QVERIFY(shown3 > 0.8);
  QVERIFY(left3 < 0.5);
}

void TstObjectSprites::rerollChangesTheSpriteAndUndoes() {
  if (ns::findBuiltinModelDir().empty()) QSKIP("the shipped built-in model is not available");
  MainWindow w(nullptr, uitest::testOptions(m_tmp.filePath("b")));
  QVERIFY(setUpBoxOnAPath(w));
  const QString id = QString::fromStdString(w.document()->project().objects[0].id);
  ns::ui::BoxItem* box = w.canvasScene()->boxItem(id);
  w.modelDock()->loadButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(w.jobs()->modelLoaded(), 60000);
  action(w, "paintObjectWithModelAction")->trigger();
  QTRY_VERIFY_WITH_TIMEOUT(!box->sprite().isNull(), 120000);
  const QImage first = box->sprite();

  // Re-roll (Ctrl+Shift+O): a new seed for this object only, one undo step, other pixels.
  const std::string before = w.document()->jsonText();
  const int steps = w.undoStack()->count();
  QTest::keyClick(&w, Qt::Key_O, Qt::ControlModifier | Qt::ShiftModifier);
  QCOMPARE(w.undoStack()->count(), steps + 1);
  QVERIFY(w.document()->project().objects[0].source.seed.has_value());
  QCOMPARE(w.document()->project().seed, uint64_t(0));
  QTRY_VERIFY_WITH_TIMEOUT(!box->sprite().isNull() && box->sprite().cacheKey() != first.cacheKey(), 120000);
  const QImage second = box->sprite();
  const int changed = differingPixels(first, second, 8);
  qInfo("re-roll: %d of %d sprite pixels changed by more than 8 levels", changed, first.width() * first.height());
  QVERIFY2(changed > first.width() * first.height() / 20, qPrintable(QString("only %1 pixels changed").arg(changed)));

  // Undo shows the first sprite again at once (kept, not painted again), redo the second.
  auto* sprites = w.findChild<ns::ui::ObjectSprites*>(QStringLiteral("objectSprites"));
  QVERIFY(sprites);
  w.undoStack()->undo();
  QCOMPARE(w.document()->jsonText(), before);
  QCOMPARE(sprites->paintingJobs(), 0);  // nothing asked of the model
  QCOMPARE(differingPixels(box->sprite(), first, 0), 0);
  w.undoStack()->redo();
  QCOMPARE(differingPixels(box->sprite(), second, 0), 0);
}

void TstObjectSprites::droppedImageReplacesAPlannedObjectsSprite() {
  MainWindow w(nullptr, uitest::testOptions(m_tmp.filePath("c")));
  QVERIFY(setUpBoxOnAPath(w));
  w.timeline()->setCurrentFrame(0);
  const QString id = QString::fromStdString(w.document()->project().objects[0].id);
  ns::ui::BoxItem* box = w.canvasScene()->boxItem(id);
  // A planned object (no model loaded: it waits for one, without a sprite).
  action(w, "paintObjectWithModelAction")->trigger();
  QCOMPARE(w.document()->project().objects[0].source.kind, ns::SourceKind::Generate);
  const std::string planned = w.document()->jsonText();
  const int steps = w.undoStack()->count();

  // A picture that cannot be read, dropped on the box: refused, named, nothing changes.
  const QString broken = m_tmp.filePath("broken.png");
  {
    QFile f(broken);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("\x89PNG\r\n\x1a\nnot really");
  }
  dropAt(w, broken, box->box().center());
  QVERIFY(!w.errorBanner()->isHidden());
  QVERIFY2(w.errorBanner()->message().contains("broken.png"), qPrintable(w.errorBanner()->message()));
  QCOMPARE(w.document()->jsonText(), planned);
  QCOMPARE(w.undoStack()->count(), steps);
  QVERIFY(w.sourceFrames().empty());

  // The picture dropped on the box becomes the object's picture: one undo step.
  const QString picture = QString::fromStdString(nstest::dataDir() + "/astronaut_64.png");
  dropAt(w, picture, box->box().center());
  QCOMPARE(w.undoStack()->count(), steps + 1);
  const ns::ProjectObject& o = w.document()->project().objects[0];
  QCOMPARE(o.source.kind, ns::SourceKind::ImageWithAlpha);
  QCOMPARE(QString::fromStdString(o.source.path), QFileInfo(picture).absoluteFilePath());
  QVERIFY(w.sourceFrames().empty());  // not opened as the source photo
  QCOMPARE(differingPixels(box->sprite(), QImage(picture), 0), 0);
  // ... and the canvas shows it in the box.
  w.canvasScene()->clearSelection();
  QVERIFY(spriteShownAt(renderCanvas(w, 8), 8, QImage(picture).convertToFormat(QImage::Format_RGBA8888), box->box()) > 0.8);

  w.undoStack()->undo();
  QCOMPARE(w.document()->jsonText(), planned);
  QVERIFY(box->sprite().isNull());  // no model: the planned object waits for its sprite again

  // Beside the boxes, the same picture is the source photo, as before.
  dropAt(w, picture, QPointF(58, 58));
  QTRY_COMPARE(w.sourceFrames().count, 1);
  QCOMPARE(w.document()->jsonText(), planned);
}

NS_REGISTER_TEST(TstObjectSprites, initTestCase, generatedSpriteAppearsAndFollowsItsPath, rerollChangesTheSpriteAndUndoes,
                 droppedImageReplacesAPlannedObjectsSprite)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_object_sprites.moc"
#endif
