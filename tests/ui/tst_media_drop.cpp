// Tests the window's side of core/media's one door (issue 18 item 3): the drop classifier uses the
// same extension list as the CLI and loadMedia (every picture and clip extension, .m4v included,
// in any case); a dropped .m4v clip becomes the source through loadMedia on the model thread; a
// corrupt one shows the banner naming the file and leaves the source as it was; a dropped picture
// has exactly the pixels core/media decodes (the cut-out's); the file dialogs offer that list.
#include "tests/support/ns_test.h"

#include <QAction>
#include <QDir>
#include <QDropEvent>
#include <QFile>
#include <QMimeData>
#include <QUrl>

#include <algorithm>

#include "core/media/image_frames.h"
#include "core/media/media_kind.h"
#include "core/media/video_io.h"
#include "tests/ui/ui_test_util.h"
#include "ui/canvas/empty_plan_hint.h"
#include "ui/files/drop_classifier.h"
#include "ui/widgets/error_banner.h"

using ns::ui::DropKind;
using ns::ui::MainWindow;

namespace {
void drop(MainWindow& w, const QString& path) {
  QMimeData mime;
  mime.setUrls({QUrl::fromLocalFile(path)});
  QDragEnterEvent enter(QPoint(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &enter);
  QDropEvent ev(QPointF(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &ev);
}
void touch(const QString& path, const QByteArray& bytes = "x") {
  QFile f(path);
  f.open(QIODevice::WriteOnly | QIODevice::Truncate);
  f.write(bytes);
}
}  // namespace

class TstMediaDrop : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { uitest::isolate(); }
  void dropUsesTheMediaExtensionList();
  void m4vDropLoadsAndCorruptOneNamesTheFile();
  void droppedPictureHasCoreMediaPixels();
  void fileDialogsOfferTheSameList();

 private:
  QTemporaryDir m_tmp;
};

void TstMediaDrop::dropUsesTheMediaExtensionList() {
  const QDir d(m_tmp.path());
  int checked = 0;
  for (const auto* list : {&ns::media::imageExtensions(), &ns::media::videoExtensions()}) {
    const DropKind want = list == &ns::media::imageExtensions() ? DropKind::Image : DropKind::Video;
    for (const std::string& e : *list) {
      for (const QString& name : {QStringLiteral("f") + QString::fromStdString(e), QStringLiteral("G") + QString::fromStdString(e).toUpper()}) {
        const QString path = d.filePath(name);
        touch(path);
        QVERIFY2(ns::ui::classifyDrop(path) == want, qPrintable(name));
        ++checked;
      }
    }
  }
  QVERIFY(checked >= 30);
  // Names the media list does not hold are not media on the window either.
  touch(d.filePath("notes.txt"));
  QVERIFY(ns::ui::classifyDrop(d.filePath("notes.txt")) == DropKind::Unknown);
  touch(d.filePath("plan.nsproj"));
  QVERIFY(ns::ui::classifyDrop(d.filePath("plan.nsproj")) == DropKind::Project);
  QVERIFY(ns::ui::classifyDrop(d.filePath("clip.m4v")) == DropKind::Unknown);  // not there: nothing to open
}

void TstMediaDrop::m4vDropLoadsAndCorruptOneNamesTheFile() {
  const QDir d(m_tmp.path());
  const QString clip = d.filePath("holiday.m4v");
  QVERIFY(ns::media::writeVideo(clip.toStdString(), at::rand({3, 3, 32, 48}).mul(2).sub(1), 8.0).ok());
  const QString junk = d.filePath("broken.m4v");
  QByteArray bytes(4096, '\0');
  for (int i = 0; i < bytes.size(); ++i) bytes[i] = char((quint32(i) * 2654435761u) >> 13);
  touch(junk, bytes);

  MainWindow w(nullptr, uitest::testOptions(d.filePath("recovery")));
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  drop(w, clip);
  QTRY_COMPARE_WITH_TIMEOUT(w.sourceFrames().count, 3, 20000);
  QCOMPARE(w.sourceFrames().width, 48);
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  const std::vector<float> kept = w.sourceFrames().data;
  drop(w, junk);
  QTRY_VERIFY_WITH_TIMEOUT(!w.errorBanner()->isHidden(), 20000);
  QVERIFY2(w.errorBanner()->message().contains(QDir::toNativeSeparators(junk)) ||
               w.errorBanner()->message().contains(QFileInfo(junk).absoluteFilePath()),
           qPrintable(w.errorBanner()->message()));
  QCOMPARE(w.sourceFrames().count, 3);
  QVERIFY(w.sourceFrames().data == kept);
}

void TstMediaDrop::droppedPictureHasCoreMediaPixels() {
  MainWindow w(nullptr, uitest::testOptions(QDir(m_tmp.path()).filePath("recovery2")));
  const QString photo = QString::fromStdString(nstest::dataDir() + "/hubble_128.jpg");
  drop(w, photo);
  auto core = ns::media::readImageFrames(photo.toStdString());
  QVERIFY(core.ok());
  QCOMPARE(w.sourceFrames().width, core->width);
  QVERIFY(w.sourceFrames().data == core->data);
}

void TstMediaDrop::fileDialogsOfferTheSameList() {
  MainWindow w(nullptr, uitest::testOptions(QDir(m_tmp.path()).filePath("recovery3")));
  QStringList filters;
  w.openFileDialog = [&filters](const QString&, const QString& filter) {
    filters << filter;
    return QString();
  };
  QAction* open = nullptr;
  for (QAction* a : w.findChildren<QAction*>())
    if (a->shortcut() == QKeySequence(QKeySequence::Open)) open = a;
  QVERIFY(open);
  open->trigger();                             // File → Open…
  emit w.emptyPlanHint()->openMediaRequested();  // the empty canvas's "open a photo or clip"
  QCOMPARE(filters.size(), 2);
  for (const QString& f : filters)
    for (const auto* list : {&ns::media::imageExtensions(), &ns::media::videoExtensions()})
      for (const std::string& e : *list)
        QVERIFY2(f.contains(" *" + QString::fromStdString(e)) || f.contains("(*" + QString::fromStdString(e)),
                 qPrintable(f + " lacks " + QString::fromStdString(e)));
  QVERIFY(filters.at(0).contains("*.nsproj"));
}

NS_REGISTER_TEST(TstMediaDrop, initTestCase, dropUsesTheMediaExtensionList, m4vDropLoadsAndCorruptOneNamesTheFile,
                 droppedPictureHasCoreMediaPixels, fileDialogsOfferTheSameList)
#ifdef NS_HAVE_QTEST
#include "tst_media_drop.moc"
#endif
