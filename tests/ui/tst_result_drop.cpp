// Tests results that remember how they were made, in the window (issue #19 item 3): render ->
// export a PNG sequence / an MP4 -> drop the PNG (or the MP4 with its sidecar) on the window ->
// the same project JSON is open again, as an unsaved untitled document. A PNG whose metadata is
// damaged opens as a plain source picture with a note in the banner, and the open document is
// kept as it was.
#include "tests/support/ns_test.h"

#include <QDir>
#include <QDropEvent>
#include <QFile>
#include <QMimeData>
#include <QUrl>

#include "core/media/image_io.h"
#include "core/media/result_metadata.h"
#include "core/model/builtin_model.h"
#include "tests/ui/ui_test_util.h"
#include "ui/docks/inversion_dock.h"
#include "ui/docks/model_dock.h"
#include "ui/project_document.h"
#include "ui/widgets/error_banner.h"

#include <QPushButton>

using ns::ui::MainWindow;

namespace {
// Drops `path` on the window as a file manager would.
void dropFile(MainWindow& w, const QString& path) {
  QMimeData mime;
  mime.setUrls({QUrl::fromLocalFile(path)});
  QDragEnterEvent enter(QPoint(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &enter);
  QVERIFY2(enter.isAccepted(), qPrintable(path));
  QDropEvent drop(QPointF(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &drop);
}

QByteArray readAll(const QString& path) {
  QFile f(path);
  f.open(QIODevice::ReadOnly);
  return f.readAll();
}
}  // namespace

class TstResultDrop : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { uitest::isolate(); }
  void renderExportDropReopensThePlan();
  void damagedMetadataOpensAsAPlainPicture();

 private:
  QTemporaryDir m_tmp;
};

void TstResultDrop::renderExportDropReopensThePlan() {
  if (ns::findBuiltinModelDir().empty()) QSKIP("the shipped built-in model is not available");
  auto plan = ns::Project::open(NS_SOURCE_DIR "/examples/red_ball_on_grass.nsproj");
  QVERIFY(plan.ok());
  plan->render.steps = 3;  // seconds on a CPU
  plan->seed = 4242;
  const QString projectPath = QDir(m_tmp.path()).filePath("plan.nsproj");
  auto saved = plan->save(projectPath.toStdString());
  QVERIFY2(saved.ok(), saved.ok() ? "" : saved.error().message);

  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  QVERIFY(w.openProject(projectPath));
  const std::string rendered = w.document()->jsonText();
  w.modelDock()->loadButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(w.modelDock()->status().startsWith("Loaded"), 60000);
  w.render();
  QTRY_VERIFY_WITH_TIMEOUT(w.resultFrames().count == plan->frames, 120000);

  // Export both ways (jobs on the model thread), then start something else.
  const QString dir = QDir(m_tmp.path()).filePath("export");
  QVERIFY(w.exportFrames(dir));
  const QString png = QDir(dir).filePath("plan_0002.png");
  QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(png), 30000);
  const QString mp4 = QDir(m_tmp.path()).filePath("clip.mp4");
  QVERIFY(w.exportFrames(mp4));
  QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(mp4 + ".nsproj"), 30000);
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  QVERIFY(w.newDocument());
  QVERIFY(w.document()->jsonText() != rendered);

  // Drop the PNG: the plan it was made from is open again, byte for byte.
  dropFile(w, png);
  QCOMPARE(w.document()->jsonText(), rendered);
  QCOMPARE(w.document()->project().seed, uint64_t(4242));
  QVERIFY(w.document()->filePath().isEmpty());  // untitled: saving asks where
  QVERIFY(w.document()->isModified());
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  QVERIFY(!w.inversionDock()->hasSource());  // a plan, not a source picture

  // The reopened plan is unsaved: a second drop asks first, and Cancel keeps it as it is.
  ns::ui::SaveAnswer answer = ns::ui::SaveAnswer::Cancel;
  int prompts = 0;
  w.unsavedPrompt = [&](const QString&) {
    ++prompts;
    return answer;
  };
  ns::Project changed = w.document()->project();
  changed.prompt = "changed";
  w.document()->reset(changed, /*modified=*/true);
  dropFile(w, png);
  QCOMPARE(prompts, 1);
  QCOMPARE(w.document()->project().prompt, std::string("changed"));

  // The MP4's sidecar is the project file; dropping the video reopens the plan too.
  QCOMPARE(readAll(mp4 + ".nsproj").toStdString(), rendered);
  answer = ns::ui::SaveAnswer::Discard;
  QVERIFY(w.newDocument());
  dropFile(w, mp4);
  QCOMPARE(w.document()->jsonText(), rendered);
}

void TstResultDrop::damagedMetadataOpensAsAPlainPicture() {
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  const std::string before = w.document()->jsonText();
  // A PNG tagged with a project, then one bit of its NoiseStudio chunk flipped (CRC mismatch).
  ns::Project other;
  other.prompt = "in the night sky";
  other.seed = 77;
  const QString path = QDir(m_tmp.path()).filePath("damaged.png");
  at::manual_seed(1);
  QVERIFY(ns::media::writeImage(path.toStdString(), at::rand({3, 20, 30}) * 2 - 1, ns::media::projectMetadata(other)).ok());
  QByteArray bytes = readAll(path);
  const int at = bytes.indexOf("iTXtNoiseStudio");
  QVERIFY(at > 0);
  bytes[at + 50] = char(bytes[at + 50] ^ 0x02);
  {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(bytes);
  }
  dropFile(w, path);
  QCOMPARE(w.document()->jsonText(), before);  // the open document is kept
  QCOMPARE(w.sourceFrames().width, 30);        // ... and the picture is the source
  QCOMPARE(w.sourceFrames().height, 20);
  QVERIFY(!w.errorBanner()->isHidden());
  QVERIFY2(w.errorBanner()->message().contains("damaged") && w.errorBanner()->message().contains("damaged.png"),
           qPrintable(w.errorBanner()->message()));
}

NS_REGISTER_TEST(TstResultDrop, initTestCase, renderExportDropReopensThePlan, damagedMetadataOpensAsAPlainPicture)
#ifdef NS_HAVE_QTEST
#include "tst_result_drop.moc"
#endif
