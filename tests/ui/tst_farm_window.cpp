// Tests File → Render on farm… and the Farm jobs dock (ui/farm/, ui/docks/farm_jobs_dock.*) with
// the real noisestudio-cli and real job folders, without a cluster:
//  - the dialog refuses bad input (chunk 0, an output folder under a file or in /proc, no sbatch on
//    PATH, unsaved project, bad Slurm sizes/times, a folder that already holds a job): the reason
//    in the dialog, no process started, nothing created;
//  - a submit the CLI refuses (exit 2) lands in the banner with the CLI's words, the document
//    untouched, and the accepted settings are remembered for the next dialog;
//  - the dock polls `farm status --json` of a job folder written by core/farm (the code the CLI's
//    submit runs) and shows done / failed chunks with the failed chunk's log tail, then done with
//    Open result opening the merged video in the window; a running chunk's progress; one poll at a
//    time per job; jobs remembered across windows; poll errors once in the banner;
//  - closing the window kills a status poll but lets a submit/resume/cancel CLI finish.
// Slurm's client programs are replaced on PATH by scripts that only record that they ran and fail
// (the CLI never gets past them), so "nothing submitted" is checked, not assumed. The real-cluster
// path is tests/ui/slow_farm_window.sh.
#include "tests/support/ns_test.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTreeWidget>
#include <QUndoStack>

#include <filesystem>

#include "core/farm/farm_job.h"
#include "core/farm/farm_status.h"
#include "core/farm/slurm_client.h"
#include "core/media/video_io.h"
#include "tests/ui/ui_test_util.h"
#include "ui/commands/edit_project_command.h"
#include "ui/docks/farm_jobs_dock.h"
#include "ui/farm/farm_cli_call.h"
#include "ui/farm/farm_status_view.h"
#include "ui/farm/farm_submit_dialog.h"
#include "ui/project_document.h"
#include "ui/widgets/error_banner.h"

using ns::ui::FarmJobsDock;
using ns::ui::FarmSubmitDialog;
using ns::ui::FarmSubmitSettings;
using ns::ui::MainWindow;

namespace {

void writeText(const QString& path, const QByteArray& text) {
  QDir().mkpath(QFileInfo(path).absolutePath());
  QFile f(path);
  QVERIFY(f.open(QIODevice::WriteOnly));
  f.write(text);
}

// A folder with sbatch/squeue/scancel/scontrol that append their name to CALLS and exit 1.
QString makeSlurmStandIns(const QString& dir) {
  QDir().mkpath(dir);
  for (const char* p : {"sbatch", "squeue", "scancel", "scontrol"}) {
    const QString path = QDir(dir).filePath(QString::fromLatin1(p));
    writeText(path, QByteArray("#!/bin/sh\necho \"$0 $*\" >> '") + QDir(dir).filePath("CALLS").toUtf8() +
                        "'\necho \"" + p + ": stand-in, no cluster here\" >&2\nexit 1\n");
    QFile::setPermissions(path, QFile::permissions(path) | QFileDevice::ExeOwner | QFileDevice::ExeGroup);
  }
  return dir;
}

QString calls(const QString& standIns) {
  QFile f(QDir(standIns).filePath("CALLS"));
  return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

// A farm job folder as `farm submit` leaves it (core/farm writes settings, state, logs), 8 frames
// in 2 chunks of 4, array job 41 and merge 42 (long gone from Slurm's memory).
ns::farm::FarmJob makeJobFolder(const QString& out) {
  ns::farm::FarmJob job;
  job.outDir = out.toStdString();
  job.name = "ball";
  job.sourceProject = (out + "/../ball.nsproj").toStdString();
  job.frames = 8;
  job.fps = 8.0;
  job.chunk = 4;
  job.steps = 4;
  job.ratio = 0.7;
  job.cli = NS_CLI_PATH;
  std::filesystem::create_directories(job.logsDir());
  std::filesystem::create_directories(job.framesDir());
  writeText(QString::fromStdString(job.settingsPath()), QByteArray::fromStdString(job.toJson()));
  ns::farm::FarmState state;
  ns::farm::FarmSubmission sub;
  sub.arrayJobId = "41";
  sub.mergeJobId = "42";
  sub.chunks = {0, 1};
  state.submissions.push_back(sub);
  (void)state.save(job.statePath());
  return job;
}

void writeFrames(const ns::farm::FarmJob& job, int begin, int end) {
  for (int f = begin; f < end; ++f) writeText(QString::fromStdString(job.framePath(f)), "a complete frame file");
}

}  // namespace

class TstFarmWindow : public QObject {
  Q_OBJECT
  QTemporaryDir m_tmp;
  QString m_standIns;
  QByteArray m_path;

  // A window with the example project saved into the temp folder and opened.
  std::unique_ptr<MainWindow> openedWindow(const QString& name) {
    auto w = std::make_unique<MainWindow>(nullptr, uitest::testOptions(m_tmp.filePath("rec_" + name)));
    const QString project = m_tmp.filePath(name + ".nsproj");
    QFile::remove(project);
    QFile::copy(QString::fromLatin1(NS_SOURCE_DIR) + "/examples/red_ball_on_grass.nsproj", project);
    if (!w->openProject(project)) return nullptr;
    return w;
  }

  static QString refusal(FarmSubmitDialog* d) {
    QTest::mouseClick(d->submitButton(), Qt::LeftButton);
    return d->errorText();
  }

 private slots:
  void initTestCase() {
    uitest::isolate();
    QVERIFY(m_tmp.isValid());
    QSettings().remove("farm");
    qputenv("NS_CLI_PATH", NS_CLI_PATH);
    m_path = qgetenv("PATH");
    m_standIns = makeSlurmStandIns(m_tmp.filePath("standins"));
    // Stand-ins first; the rest of PATH for the shell the scripts start with.
    qputenv("PATH", (m_standIns + ":" + QString::fromLocal8Bit(m_path)).toLocal8Bit());
  }
  void cleanupTestCase() {
    QSettings().remove("farm");
    qputenv("PATH", m_path);
  }

  void dialogRefusesBadInput() {
    auto w = openedWindow("refuse");
    QVERIFY(w);
    w->show();
    FarmSubmitSettings ok;
    ok.chunk = 4;
    ok.outDir = m_tmp.filePath("out_refused");
    QFile::remove(m_standIns + "/CALLS");

    FarmSubmitDialog* d = w->renderOnFarm();
    QVERIFY(d->isVisible());
    auto expectRefused = [&](FarmSubmitSettings s, const QString& words) {
      d->setSettings(s);
      const QString why = refusal(d);
      QVERIFY2(why.contains(words), ("expected '" + words + "', got '" + why + "'").toStdString());
      QVERIFY(d->isVisible());
    };
    FarmSubmitSettings s = ok;
    s.chunk = 0;
    expectRefused(s, "Chunk size 0: a chunk must hold at least 1 frame");
    writeText(m_tmp.filePath("a-file"), "x");
    s = ok;
    s.outDir = m_tmp.filePath("a-file/out");
    expectRefused(s, "a-file is a file, not a folder");
    s.outDir = "/proc/ns-farm-test/out";  // even root cannot create files in /proc
    expectRefused(s, "/proc is not writable");
    s.outDir = "relative/out";
    expectRefused(s, "give an absolute path");
    s = ok;
    s.mem = "8 GB";
    expectRefused(s, "Memory '8 GB' is not a Slurm size");
    s = ok;
    s.time = "1h";
    expectRefused(s, "Time limit '1h' is not a Slurm time");
    s = ok;
    s.model = m_tmp.filePath("no-such-model.safetensors");
    expectRefused(s, "no-such-model.safetensors: not found");
    writeText(m_tmp.filePath("old_job/farm/settings.json"), "{}");
    s = ok;
    s.outDir = m_tmp.filePath("old_job");
    expectRefused(s, "already holds a farm job");
    // No sbatch on PATH (a PATH with only a folder of other programs).
    qputenv("PATH", "/nonexistent");
    expectRefused(ok, "sbatch not found on PATH");
    qputenv("PATH", (m_standIns + ":" + QString::fromLocal8Bit(m_path)).toLocal8Bit());
    d->reject();

    // Unsaved changes / never saved: the farm renders the file, so it must be the document.
    w->document()->undoStack()->push(
        new ns::ui::EditProjectCommand(w->document(), "prompt", [](ns::Project& p) { p.prompt = "changed"; }));
    d = w->renderOnFarm();
    d->setSettings(ok);
    QVERIFY2(refusal(d).contains("unsaved changes"), d->errorText().toStdString());
    d->reject();
    w->document()->undoStack()->undo();
    w->newDocument();
    d = w->renderOnFarm();
    d->setSettings(ok);
    QVERIFY2(refusal(d).contains("Save the project first"), d->errorText().toStdString());
    d->reject();

    // Nothing was submitted or created, and nothing was remembered.
    QCOMPARE(w->farmSubmitsRunning(), 0);
    QVERIFY(!QFileInfo::exists(ok.outDir));
    QVERIFY(!QFileInfo::exists(m_tmp.filePath("a-file/out")));
    QVERIFY2(calls(m_standIns).isEmpty(), calls(m_standIns).toStdString());
    QVERIFY(w->farmJobsDock()->jobs().isEmpty());
    QVERIFY(!QSettings().contains("farm/submit/outDir"));
  }

  void cliRefusalGoesToTheBannerAndSettingsAreRemembered() {
    auto w = openedWindow("banner");
    QVERIFY(w);
    w->show();
    const std::string before = w->document()->jsonText();
    QFile::remove(m_standIns + "/CALLS");
    FarmSubmitSettings s;
    s.chunk = 3;
    s.partition = "gpu";
    s.cpusPerTask = 2;
    s.gpusPerTask = 1;
    s.mem = "4G";
    s.time = "00:30:00";
    s.maxParallel = 2;
    s.outDir = m_tmp.filePath("out_banner");
    FarmSubmitDialog* d = w->renderOnFarm();
    d->setSettings(s);
    QSignalSpy done(w.get(), &MainWindow::farmSubmitFinished);
    QTest::mouseClick(d->submitButton(), Qt::LeftButton);
    QVERIFY2(d->errorText().isEmpty(), d->errorText().toStdString());
    QCOMPARE(w->farmSubmitsRunning(), 1);  // running as a process: the UI thread went on
    QVERIFY(done.wait(30000));
    QCOMPARE(done.at(0).at(0).toBool(), false);
    // The CLI asked the (stand-in) scontrol about the partition and refused: its words, in the banner.
    const QString banner = w->errorBanner()->message();
    QVERIFY2(banner.contains("Render on farm: partition 'gpu' does not exist on this cluster"), banner.toStdString());
    QVERIFY2(calls(m_standIns).contains("scontrol show partition gpu"), calls(m_standIns).toStdString());
    QVERIFY2(!calls(m_standIns).contains("sbatch"), calls(m_standIns).toStdString());
    QVERIFY(!QFileInfo::exists(s.outDir));
    QVERIFY(w->farmJobsDock()->jobs().isEmpty());
    QVERIFY(w->document()->jsonText() == before);
    QVERIFY(!w->document()->isModified());

    // The accepted settings come back in the next dialog (and after a restart: QSettings).
    auto w2 = openedWindow("banner2");
    FarmSubmitDialog* d2 = w2->renderOnFarm();
    const FarmSubmitSettings back = d2->settings();
    QCOMPARE(back.chunk, 3);
    QCOMPARE(back.partition, QString("gpu"));
    QCOMPARE(back.cpusPerTask, 2);
    QCOMPARE(back.gpusPerTask, 1);
    QCOMPARE(back.mem, QString("4G"));
    QCOMPARE(back.time, QString("00:30:00"));
    QCOMPARE(back.maxParallel, 2);
    QCOMPARE(back.outDir, s.outDir);
    QCOMPARE(d2->chunkBox()->value(), 3);
    QCOMPARE(back.cliArguments("/p/x.nsproj"),
             QStringList({"--json", "farm", "submit", "/p/x.nsproj", "--engine", "slurm", "--chunk", "3", "--partition", "gpu",
                          "--cpus-per-task", "2", "--gpus-per-task", "1", "--mem", "4G", "--time", "00:30:00",
                          "--max-parallel", "2", "-o", s.outDir}));
    d2->reject();
  }

  void dockShowsARealJobFolder() {
    auto w = openedWindow("dock");
    QVERIFY(w);
    w->show();
    const QString out = m_tmp.filePath("job_dock");
    const auto job = makeJobFolder(out);
    writeFrames(job, 0, 4);  // chunk 0 complete
    writeText(QString::fromStdString(job.chunkLogPath(1)),
              "progress: denoise 3/12 at 1700000000\nnoisestudio-cli: error: /data/bg.png: file not found\n");
    FarmJobsDock* dock = w->farmJobsDock();
    dock->setPollInterval(3600 * 1000);  // polls by hand only
    QSignalSpy polled(dock, &FarmJobsDock::polled);
    dock->addJob(out);
    QCOMPARE(dock->pollsInFlight(), 1);
    dock->pollNow();  // one poll at a time per job: the second ask waits for the first answer
    QCOMPARE(dock->pollsInFlight(), 1);
    QVERIFY(polled.wait(30000));
    QCOMPARE(polled.count(), 1);
    QVERIFY2(dock->pollErrorOf(out).isEmpty(), dock->pollErrorOf(out).toStdString());
    QVERIFY(dock->isVisible());

    const ns::ui::FarmStatusView* v = dock->statusOf(out);
    QVERIFY(v);
    QCOMPARE(v->state, QString("failed"));
    QCOMPARE(v->frames, 8);
    QCOMPARE(v->framesDone, 4);
    QCOMPARE(v->chunks.size(), 2);
    QCOMPARE(v->chunks[0].state, QString("done"));
    QCOMPARE(v->chunks[1].state, QString("failed"));
    QCOMPARE(v->chunks[1].task, QString("41_1"));
    QCOMPARE(v->merge, QString("not run (a chunk failed)"));

    QTreeWidgetItem* row = dock->tree()->topLevelItem(0);
    QCOMPARE(row->text(0), QString("job_dock"));
    QCOMPARE(row->text(1), QString("failed"));
    QCOMPARE(row->text(2), QString("4/8 frames, merge not run (a chunk failed)"));
    QCOMPARE(row->childCount(), 2);
    QCOMPARE(row->child(0)->text(0), QString("chunk 0 (frames 0:4)"));
    QCOMPARE(row->child(0)->text(1), QString("done"));
    QCOMPARE(row->child(1)->text(1), QString("failed"));
    QVERIFY(row->isExpanded());
    // The failed chunk's log tail, for the job row and for the chunk row.
    QVERIFY2(dock->logView()->toPlainText().contains("chunk 1 (frames 4:8"), dock->logView()->toPlainText().toStdString());
    QVERIFY(dock->logView()->toPlainText().contains("/data/bg.png: file not found"));
    dock->tree()->setCurrentItem(row->child(0));
    QVERIFY(dock->logView()->toPlainText().isEmpty());
    dock->tree()->setCurrentItem(row->child(1));
    QVERIFY(dock->logView()->toPlainText().contains("/data/bg.png: file not found"));
    QVERIFY(dock->resumeButton()->isEnabled());
    QVERIFY(!dock->openButton()->isEnabled());

    // Resume: the CLI's refusal (here: squeue failing) reaches the banner; the job stays listed.
    const int bannerBefore = w->errorBanner()->count();
    QTest::mouseClick(dock->resumeButton(), Qt::LeftButton);
    QVERIFY(!dock->resumeButton()->isEnabled());  // one action at a time
    QTRY_VERIFY_WITH_TIMEOUT(w->errorBanner()->count() > bannerBefore, 30000);
    QVERIFY2(w->errorBanner()->message().contains("farm resume " + out + ": squeue"), w->errorBanner()->message().toStdString());
    QVERIFY(polled.wait(30000));  // the action is followed by a poll

    // A running chunk (what the CLI prints while Slurm runs task 41_1) shows its progress.
    ns::farm::FarmState state;
    ns::farm::FarmSubmission sub;
    sub.arrayJobId = "41";
    sub.mergeJobId = "42";
    sub.chunks = {0, 1};
    state.submissions.push_back(sub);
    ns::farm::SlurmTask running{"41_1", "41", 1, "RUNNING", "None"}, merge{"42", "42", -1, "PENDING", "Dependency"};
    const std::string runningJson = ns::farm::computeFarmStatus(job, state, {running, merge}).toJson();
    QVERIFY(dock->applyStatus(out, QJsonDocument::fromJson(QByteArray::fromStdString(runningJson)).object()));
    QCOMPARE(row->text(1), QString("running"));
    QCOMPARE(row->text(2), QString("4/8 frames, merge waiting"));
    QCOMPARE(row->child(1)->text(1), QString("running"));
    QCOMPARE(row->child(1)->text(2), QString("denoise 3/12, 0/4 frames"));
    QVERIFY(dock->cancelButton()->isEnabled());
    QVERIFY(!dock->resumeButton()->isEnabled());
    // Not a status answer: refused, said in the row and once in the banner, the last view kept.
    QVERIFY(!dock->applyStatus(out, QJsonObject{{"ok", true}, {"state", "running"}}));
    QVERIFY(dock->pollErrorOf(out).contains("frames"));
    QCOMPARE(dock->statusOf(out)->state, QString("running"));

    // The merge done: frames and a real video. Open result opens it in the window.
    writeFrames(job, 4, 8);
    QVERIFY(ns::media::writeVideo(job.videoPath(), at::zeros({8, 3, 32, 32}), 8.0).ok());
    dock->pollNow();
    QVERIFY(polled.wait(30000));
    QCOMPARE(dock->statusOf(out)->state, QString("done"));
    QCOMPARE(row->text(1), QString("done"));
    QCOMPARE(row->child(1)->text(1), QString("done"));
    dock->selectJob(out);
    QVERIFY(dock->openButton()->isEnabled());
    QCOMPARE(dock->resultPath(out), QString::fromStdString(job.videoPath()));
    QVERIFY(!dock->cancelButton()->isEnabled());
    QTest::mouseClick(dock->openButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(w->sourceFrames().count, 8, 30000);
  }

  void jobsAreRememberedAcrossWindows() {
    const QString out = m_tmp.filePath("job_dock");  // added by dockShowsARealJobFolder
    {
      auto w = openedWindow("restart");
      QVERIFY(w);
      QCOMPARE(w->farmJobsDock()->jobs(), QStringList{out});
      QSignalSpy polled(w->farmJobsDock(), &FarmJobsDock::polled);
      QVERIFY(polled.wait(30000));  // a remembered job is asked about at start
      QCOMPARE(w->farmJobsDock()->statusOf(out)->state, QString("done"));
      w->farmJobsDock()->selectJob(out);
      QTest::mouseClick(w->farmJobsDock()->forgetButton(), Qt::LeftButton);
      QVERIFY(w->farmJobsDock()->jobs().isEmpty());
      QVERIFY(QFileInfo::exists(out + "/farm/settings.json"));  // forgetting deletes nothing
    }
    auto w = openedWindow("restart2");
    QVERIFY(w->farmJobsDock()->jobs().isEmpty());
  }

  void pollErrorsReachTheBannerOnce() {
    auto w = openedWindow("pollerr");
    QVERIFY(w);
    const QString out = m_tmp.filePath("not_a_job");
    QDir().mkpath(out);
    FarmJobsDock* dock = w->farmJobsDock();
    dock->setPollInterval(3600 * 1000);
    QSignalSpy polled(dock, &FarmJobsDock::polled);
    dock->chooseJobFolder = [out] { return out; };  // Follow… a folder that is no job
    QTest::mouseClick(dock->followButton(), Qt::LeftButton);
    QCOMPARE(dock->jobs(), QStringList{out});
    QVERIFY(polled.wait(30000));
    QVERIFY2(w->errorBanner()->message().contains(out + ": not a farm job folder"), w->errorBanner()->message().toStdString());
    QCOMPARE(w->errorBanner()->count(), 1);
    QCOMPARE(dock->tree()->topLevelItem(0)->text(2), dock->pollErrorOf(out));
    dock->pollNow();
    QVERIFY(polled.wait(30000));
    QCOMPARE(w->errorBanner()->count(), 1);  // the same message is not repeated every poll
    dock->removeJob(out);
  }

  void batchJobsShowTheirTasks() {
    // The shape core/farm/batch_status.h documents for `farm status --json` of a batch: the project
    // fields plus kind, tasks[] (what each does) and task counts.
    auto w = openedWindow("batch");
    QVERIFY(w);
    const QString out = m_tmp.filePath("batch_job");
    QDir().mkpath(out);
    FarmJobsDock* dock = w->farmJobsDock();
    dock->setPollInterval(3600 * 1000);
    QSignalSpy polled(dock, &FarmJobsDock::polled);
    dock->addJob(out);
    QVERIFY(polled.wait(30000));  // not a job folder for the CLI: only the view below is shown
    const char* json = R"js({"ok": true, "kind": "batch", "state": "failed", "tasks_done": 1, "task_count": 2,
      "frames": 4, "frames_done": 4, "video": false, "merge": "not run (a task failed)",
      "jobs": [{"name": "ball", "kind": "render"}, {"name": "best", "kind": "search"}],
      "tasks": [{"task_index": 0, "job": "ball", "what": "render frames 0:4", "state": "done"},
                {"task_index": 1, "job": "best", "what": "search candidates 0:8", "state": "failed"}],
      "chunks": [{"chunk": 0, "frames": [0, 4], "frames_done": 4, "state": "done", "task": "7_0", "slurm": ""},
                 {"chunk": 1, "frames": [0, 0], "frames_done": 0, "state": "failed", "task": "7_1",
                  "slurm": "FAILED NonZeroExitCode", "log_tail": "search: out of memory\n"}]})js";
    QVERIFY(dock->applyStatus(out, QJsonDocument::fromJson(json).object()));
    QTreeWidgetItem* row = dock->tree()->topLevelItem(0);
    QCOMPARE(row->text(1), QString("failed"));
    QCOMPARE(row->text(2), QString("1/2 tasks, gather not run (a task failed)"));
    QCOMPARE(row->child(0)->text(0), QString("task 0 (ball: render frames 0:4)"));
    QCOMPARE(row->child(0)->text(2), QString("4/4 frames"));
    QCOMPARE(row->child(1)->text(0), QString("task 1 (best: search candidates 0:8)"));
    QCOMPARE(row->child(1)->text(2), QString("FAILED NonZeroExitCode"));
    dock->selectJob(out);
    QVERIFY(dock->logView()->toPlainText().contains("task 1 (best: search candidates 0:8, FAILED NonZeroExitCode):\nsearch: out of memory"));
    QVERIFY(!dock->openButton()->isEnabled());  // no single video to open for a batch
    // The batch answer of CLIs whose chunks[] carried no frames: tasks still shown.
    const char* older = R"js({"ok": true, "kind": "batch", "state": "running", "tasks_done": 0, "task_count": 1,
      "merge": "waiting", "tasks": [{"task_index": 0, "job": "best", "what": "search candidates 0:8"}],
      "chunks": [{"chunk": 0, "state": "running", "task": "9_0", "slurm": "RUNNING None", "progress": "search 3/8"}]})js";
    QVERIFY(dock->applyStatus(out, QJsonDocument::fromJson(older).object()));
    QCOMPARE(row->text(2), QString("0/1 tasks, gather waiting"));
    QCOMPARE(row->child(0)->text(0), QString("task 0 (best: search candidates 0:8)"));
    QCOMPARE(row->child(0)->text(2), QString("search 3/8"));
    QCOMPARE(row->childCount(), 1);
    dock->removeJob(out);
  }

  void jobChangingCallsOutliveTheWindow() {
    // A stand-in CLI that takes a second and then leaves a mark named after the verb.
    const QString marks = m_tmp.filePath("marks");
    QDir().mkpath(marks);
    const QString cli = m_tmp.filePath("slow-cli.sh");
    writeText(cli, QByteArray("#!/bin/sh\nsleep 1\ntouch '") + marks.toUtf8() + "'/\"$3\"\necho '{\"ok\": true}'\n");
    QFile::setPermissions(cli, QFile::permissions(cli) | QFileDevice::ExeOwner);
    qputenv("NS_CLI_PATH", cli.toLocal8Bit());
    {
      ns::ui::FarmCliCall poll({"--json", "farm", "status", "/x"}, ns::ui::FarmCliEffect::ReadOnly, nullptr);
      poll.start();
      QTest::qWait(300);
    }
    {
      ns::ui::FarmCliCall submit({"--json", "farm", "submit", "/x"}, ns::ui::FarmCliEffect::ChangesJob, nullptr);
      submit.start();
      QTest::qWait(300);
    }
    QVERIFY(QFileInfo::exists(marks + "/submit"));  // waited for: it ran to its end
    QTest::qWait(1500);
    QVERIFY(!QFileInfo::exists(marks + "/status"));  // killed with the window
    qputenv("NS_CLI_PATH", NS_CLI_PATH);
  }

  void cliAnswersAreRead() {
    // farm status without any job folder argument is a usage error (exit 1, CLI11's text on stderr).
    auto r = ns::ui::farmCliResultFrom(2, R"({"ok": false, "error": "x: not found", "exit_code": 2})", "noisestudio-cli: error: x: not found\n");
    QVERIFY(!r.ok);
    QCOMPARE(r.error, QString("x: not found"));
    r = ns::ui::farmCliResultFrom(1, "", "oops\nnoisestudio-cli: error: the last line\n");
    QCOMPARE(r.error, QString("the last line"));
    r = ns::ui::farmCliResultFrom(0, "not json", "");
    QVERIFY(!r.ok);
    QVERIFY(r.error.contains("not JSON"));
    r = ns::ui::farmCliResultFrom(0, R"({"ok": true, "out": "/x"})", "note: squeue failed\n");
    QVERIFY(r.ok);
    QCOMPARE(r.json.value("out").toString(), QString("/x"));
    // Status answers with a wrong field are refused, not half-read.
    ns::ui::FarmStatusView v;
    QString why;
    const char* bad[] = {
        R"({"state": "done", "frames": 4, "frames_done": 5, "merge": "done", "video": true, "chunks": []})",
        R"({"state": "done", "frames": 4, "frames_done": 4, "merge": "done", "video": true, "chunks": [{"chunk": 0, "frames": [0], "frames_done": 0, "state": "done"}]})",
        R"({"state": "done", "frames": 4, "frames_done": 4, "merge": "done", "video": "yes", "chunks": []})",
        R"({"state": "done", "frames": 4, "frames_done": 4, "merge": "done", "video": true, "chunks": [{"chunk": 0, "frames": [0, 4], "frames_done": 5, "state": "done"}]})",
        R"({"frames": 4, "frames_done": 4, "merge": "done", "video": true, "chunks": []})"};
    for (const char* b : bad) {
      QVERIFY2(!ns::ui::parseFarmStatus(QJsonDocument::fromJson(b).object(), &v, &why), b);
      QVERIFY(!why.isEmpty());
    }
  }
};

NS_REGISTER_TEST(TstFarmWindow, dialogRefusesBadInput, cliRefusalGoesToTheBannerAndSettingsAreRemembered,
                 dockShowsARealJobFolder, jobsAreRememberedAcrossWindows, pollErrorsReachTheBannerOnce,
                 batchJobsShowTheirTasks, jobChangingCallsOutliveTheWindow, cliAnswersAreRead)
#ifdef NS_HAVE_QTEST
#include "tst_farm_window.moc"
#endif
