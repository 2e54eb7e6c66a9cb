// The window's farm path on a real one-node Slurm (started by tests/ui/slow_farm_window.sh, which
// also renders the local reference): File → Render on farm… is filled in and submitted through
// QTest, the Farm jobs dock follows the job by polling `farm status` until it says done, Open result
// opens the merged video in the window, and every frame equals the local render byte for byte.
// Environment (set by the script): NS_CLI_PATH, NS_FARM_PROJECT (a saved project), NS_FARM_OUT (a
// folder that does not exist yet), NS_FARM_LOCAL (the local render's frames), NS_FARM_FRAMES.
#include "tests/support/ns_test.h"

#include <QDir>
#include <QFile>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSet>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTreeWidget>

#include "tests/ui/ui_test_util.h"
#include "ui/docks/farm_jobs_dock.h"
#include "ui/farm/farm_submit_dialog.h"

using ns::ui::FarmJobsDock;
using ns::ui::FarmSubmitDialog;
using ns::ui::MainWindow;

class TstFarmWindowSlurm : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() {
    uitest::isolate();
    QSettings().remove("farm");  // the dialog starts from the defaults, not from another test's run
  }

  void submitFromTheDialogFollowAndOpen() {
    const QString project = qEnvironmentVariable("NS_FARM_PROJECT"), out = qEnvironmentVariable("NS_FARM_OUT"),
                  local = qEnvironmentVariable("NS_FARM_LOCAL");
    const int frames = qEnvironmentVariableIntValue("NS_FARM_FRAMES");
    if (project.isEmpty() || out.isEmpty() || local.isEmpty() || frames < 1 || qEnvironmentVariable("SLURM_CONF").isEmpty())
      QFAIL("run through tests/ui/slow_farm_window.sh (it starts the cluster and sets NS_FARM_*)");
    QTemporaryDir tmp;
    MainWindow w(nullptr, uitest::testOptions(tmp.filePath("rec")));
    w.show();
    QVERIFY(w.openProject(project));

    FarmSubmitDialog* d = w.renderOnFarm();
    QVERIFY(QTest::qWaitForWindowExposed(d));
    d->chunkBox()->selectAll();
    QTest::keyClicks(d->chunkBox(), "4");
    d->outDirEdit()->clear();
    QTest::keyClicks(d->outDirEdit(), out);
    d->modelEdit()->clear();
    QSignalSpy submitted(&w, &MainWindow::farmSubmitFinished);
    QTest::mouseClick(d->submitButton(), Qt::LeftButton);
    QVERIFY2(d->errorText().isEmpty(), d->errorText().toStdString());
    QVERIFY(submitted.wait(120000));
    QVERIFY2(submitted.at(0).at(0).toBool(), w.errorBanner() ? "submit refused (see the banner)" : "");

    FarmJobsDock* dock = w.farmJobsDock();
    QCOMPARE(dock->jobs(), QStringList{out});
    QVERIFY(dock->isVisible());
    dock->setPollInterval(1000);
    // Follow the job as the dock shows it; remember every chunk state it passed through.
    QSet<QString> seen;
    QString progressSeen;
    connect(dock, &FarmJobsDock::polled, this, [&] {
      if (const auto* v = dock->statusOf(out)) {
        seen.insert(v->state);
        for (const auto& c : v->chunks)
          if (!c.progress.isEmpty()) progressSeen = c.progress;
      }
    });
    QTRY_VERIFY_WITH_TIMEOUT(dock->statusOf(out) && dock->statusOf(out)->state == "done", 400000);
    qInfo("job states seen by the dock: %s; a running chunk's progress: '%s'",
          qPrintable(QStringList(seen.values()).join(", ")), qPrintable(progressSeen));
    QVERIFY2(seen.size() >= 2, "the dock never showed the job before it was done");
    QVERIFY2(!seen.contains("failed"), "a chunk failed on the way");
    QTreeWidgetItem* row = dock->tree()->topLevelItem(0);
    QCOMPARE(row->text(1), QString("done"));
    QCOMPARE(row->text(2), QString("%1/%1 frames, merge done").arg(frames));
    QCOMPARE(row->childCount(), (frames + 3) / 4);
    for (int i = 0; i < row->childCount(); ++i) QCOMPARE(row->child(i)->text(1), QString("done"));

    dock->selectJob(out);
    QVERIFY(dock->openButton()->isEnabled());
    QTest::mouseClick(dock->openButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(w.sourceFrames().count, frames, 60000);

    for (int f = 0; f < frames; ++f) {
      const QString name = QString::asprintf("frame_%04d.png", f);
      QFile a(QDir(out).filePath("frames/" + name)), b(QDir(local).filePath(name));
      QVERIFY2(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly), name.toStdString());
      QVERIFY2(a.readAll() == b.readAll(), (name + " differs from the local render").toStdString());
    }
    dock->removeJob(out);  // leave the test settings without a job
  }
};

NS_REGISTER_TEST(TstFarmWindowSlurm, submitFromTheDialogFollowAndOpen)
#ifdef NS_HAVE_QTEST
#include "slow_farm_window.moc"
#endif
