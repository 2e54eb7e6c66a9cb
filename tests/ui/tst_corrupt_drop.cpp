// Tests the window against corrupt media (issue #10 item 2): dropping or opening a zero-byte,
// truncated or absurdly large image, or a video with no frames or no readable codec, shows the
// error banner naming the file, and nothing is lost: the document's JSON, the saved project file
// and the current source picture stay exactly as they were.
#include "tests/support/ns_test.h"

#include <QDir>
#include <QDropEvent>
#include <QFile>
#include <QMimeData>
#include <QUrl>

#include "core/media/video_io.h"
#include "tests/ui/ui_test_util.h"
#include "ui/project_document.h"
#include "ui/widgets/error_banner.h"

using ns::ui::MainWindow;

namespace {
QByteArray readFile(const QString& path) {
  QFile f(path);
  f.open(QIODevice::ReadOnly);
  return f.readAll();
}
void writeFile(const QString& path, const QByteArray& bytes) {
  QFile f(path);
  f.open(QIODevice::WriteOnly | QIODevice::Truncate);
  f.write(bytes);
}
void appendBe32(QByteArray& b, quint32 v) {
  for (int s = 24; s >= 0; s -= 8) b.append(char((v >> s) & 0xFF));
}
// Signature + IHDR claiming w x h + IEND: a few bytes on disk, 30 GB decoded.
QByteArray pngClaiming(quint32 w, quint32 h) {
  QByteArray b("\x89PNG\r\n\x1a\n", 8);
  appendBe32(b, 13);
  b.append("IHDR");
  appendBe32(b, w);
  appendBe32(b, h);
  b.append(QByteArray("\x08\x02\x00\x00\x00", 5));
  appendBe32(b, 0);
  appendBe32(b, 0);
  b.append("IEND");
  appendBe32(b, 0);
  return b;
}
void drop(MainWindow& w, const QString& path) {
  QMimeData mime;
  mime.setUrls({QUrl::fromLocalFile(path)});
  QDragEnterEvent enter(QPoint(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &enter);
  QDropEvent ev(QPointF(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &ev);
}
}  // namespace

class TstCorruptDrop : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { uitest::isolate(); }
  void corruptMediaShowsBannerAndKeepsEverything();

 private:
  QTemporaryDir m_tmp;
};

void TstCorruptDrop::corruptMediaShowsBannerAndKeepsEverything() {
  const QDir d(m_tmp.path());
  const QByteArray png = readFile(QString::fromStdString(nstest::dataDir() + "/astronaut_128.png"));
  const QByteArray jpg = readFile(QString::fromStdString(nstest::dataDir() + "/hubble_128.jpg"));
  QVERIFY(png.size() > 1000 && jpg.size() > 1000);
  writeFile(d.filePath("zero.png"), {});
  writeFile(d.filePath("cut.png"), png.left(png.size() / 2));
  writeFile(d.filePath("cut.jpg"), jpg.left(jpg.size() / 2));
  writeFile(d.filePath("huge.png"), pngClaiming(100000, 100000));
  QByteArray junk(8192, '\0');
  for (int i = 0; i < junk.size(); ++i) junk[i] = char((quint32(i) * 2654435761u) >> 11);
  writeFile(d.filePath("garbage.mp4"), junk);
  QVERIFY(ns::media::writeVideo(d.filePath("noframes.avi").toStdString(), at::zeros({0, 3, 32, 32}), 8.0).ok());

  MainWindow w(nullptr, uitest::testOptions(d.filePath("recovery")));
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  // A good source and a saved, then edited project: what must survive.
  QVERIFY(w.openFile(QString::fromStdString(nstest::dataDir() + "/coffee_96.png")));
  QCOMPARE(w.sourceFrames().width, 96);
  const QString projectPath = d.filePath("kept.nsproj");
  QVERIFY(w.saveAs(projectPath));
  const QByteArray onDisk = readFile(projectPath);
  const std::string json = w.document()->jsonText();
  const std::vector<float> sourcePixels = w.sourceFrames().data;

  struct Case {
    const char* file;
    const char* why;
    bool async;  // videos decode on the model thread: the banner comes later
  };
  int n = 0;
  for (const Case& c : {Case{"zero.png", "empty", false}, Case{"cut.png", "truncated", false},
                        Case{"cut.jpg", "truncated", false}, Case{"huge.png", "100000x100000", false},
                        Case{"garbage.mp4", "video", true}, Case{"noframes.avi", "frame", true}}) {
    const QString path = d.filePath(c.file);
    w.errorBanner()->dismiss();
    QVERIFY(w.errorBanner()->isHidden());
    if (n++ % 2 == 0) drop(w, path);
    else QCOMPARE(w.openFile(path), c.async);  // images refuse at once; a video job is started
    QTRY_VERIFY2_WITH_TIMEOUT(!w.errorBanner()->isHidden(), c.file, 20000);
    const QString msg = w.errorBanner()->message();
    QVERIFY2(msg.contains(QDir::toNativeSeparators(path)), qPrintable(QString(c.file) + ": " + msg));
    QVERIFY2(msg.contains(c.why), qPrintable(QString(c.file) + ": expected '" + c.why + "' in " + msg));
    // Nothing lost: document, file on disk, source picture.
    QCOMPARE(w.document()->jsonText(), json);
    QVERIFY(!w.document()->isModified());
    QCOMPARE(readFile(projectPath), onDisk);
    QCOMPARE(w.sourceFrames().width, 96);
    QVERIFY2(w.sourceFrames().data == sourcePixels, c.file);
  }
}

NS_REGISTER_TEST(TstCorruptDrop, initTestCase, corruptMediaShowsBannerAndKeepsEverything)
#ifdef NS_HAVE_QTEST
#include "tst_corrupt_drop.moc"
#endif
