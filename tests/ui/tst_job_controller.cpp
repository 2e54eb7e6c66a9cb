// Tests ui/jobs/job_controller.h: jobs run on the model thread, report throttled progress, cancel
// within one step, stale live previews are dropped, failures arrive as messages, the UI event
// loop keeps running while a job works, and a cancel that comes after a job committed its work
// (an export's file) reports the result, not "cancelled". Typed results reach the handler named
// at submit on the UI thread, before resultReady; stale results never reach it.
#include "tests/support/ns_test.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "core/jobs/job_context.h"
#include "core/model/model_bundle.h"
#include "ui/jobs/job_controller.h"

using ns::JobContext;
using ns::ModelBundle;
using ns::Result;
using ns::ui::JobController;
using ns::ui::JobKind;
using ns::ui::JobOutcome;
using ns::ui::JobReport;
using ns::ui::ModelNeed;
using ns::ui::RequestId;

namespace {
// What the fake verb makes: a typed result like the engine jobs' (job_results.h).
struct FakeFrames : JobReport {
  ns::FrameBuffer frames;
};

// A fake engine verb: `steps` steps of `stepMs` each, reporting progress; stops when cancelled.
ns::ui::TypedJobFn<FakeFrames> sleepyJob(int steps, int stepMs, std::atomic<int>* stepsRun = nullptr,
                                         QThread** ranOn = nullptr) {
  return [=](ModelBundle&, JobContext& ctx) -> Result<FakeFrames> {
    if (ranOn) *ranOn = QThread::currentThread();
    for (int i = 1; i <= steps; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(stepMs));
      if (stepsRun) stepsRun->store(i);
      if (!ctx.report(i, steps, "denoise")) return ns::makeError(ns::ErrorKind::Cancelled, "cancelled");
    }
    FakeFrames out;
    out.summary = "done " + std::to_string(steps);
    out.frames.kind = ns::FrameKind::Image;
    out.frames.count = 1, out.frames.channels = 3, out.frames.height = 2, out.frames.width = 2;
    out.frames.data.assign(12, 0.5f);
    return out;
  };
}

// A job that only reports `summary` (no typed result to show).
ns::ui::JobFn reportJob(std::string summary) {
  return [summary](ModelBundle&, JobContext&) -> Result<JobOutcome> {
    JobOutcome out;
    out.report.summary = summary;
    return out;
  };
}
}  // namespace

class TstJobController : public QObject {
  Q_OBJECT
 private slots:
  void runsOnModelThreadWithProgress();
  void cancelStopsWithinOneStep();
  void eventLoopNeverStalls();
  void failureArrivesAsMessage();
  void requiresModelUnlessToldOtherwise();
  void liveRequestsAreDebouncedAndReplaced();
  void queuedJobCancelledNeverRuns();
  void shutdownWhileRunningCancels();
  void lateCancelOfCommittedJobReportsResult();
  void typedResultReachesItsHandler();
  void staleResultsNeverReachTheirHandler();
  void throwingHandlerBecomesFailure();
};

void TstJobController::runsOnModelThreadWithProgress() {
  JobController jc;
  QThread* ranOn = nullptr;
  QSignalSpy results(&jc, &JobController::resultReady);
  QSignalSpy progress(&jc, &JobController::progressChanged);
  const RequestId id = jc.submit<FakeFrames>(JobKind::Custom, sleepyJob(10, 20, nullptr, &ranOn), nullptr, ModelNeed::None);
  QVERIFY(results.wait(5000));
  QCOMPARE(results.count(), 1);
  QCOMPARE(results.at(0).at(0).value<RequestId>(), id);
  QVERIFY2(ranOn == jc.modelThread(), "the job must run on the controller's model thread");
  QVERIFY(ranOn != QThread::currentThread());
  QCOMPARE(results.at(0).at(2).toString(), QString("done 10"));
  // 10 steps of 20 ms with a 50 ms throttle: the first and last step always, and a few between.
  QVERIFY2(progress.count() >= 3 && progress.count() <= 7,
           qPrintable(QString("progress signals: %1 (expected 3..7 for 10 steps x 20 ms)").arg(progress.count())));
  QCOMPARE(progress.last().at(1).toInt(), 10);
  QCOMPARE(progress.last().at(2).toInt(), 10);
  for (int i = 1; i < progress.count(); ++i)
    QVERIFY(progress.at(i).at(1).toInt() > progress.at(i - 1).at(1).toInt());
}

void TstJobController::cancelStopsWithinOneStep() {
  JobController jc;
  std::atomic<int> stepsRun{0};
  QSignalSpy cancelled(&jc, &JobController::cancelled);
  QSignalSpy results(&jc, &JobController::resultReady);
  QSignalSpy progress(&jc, &JobController::progressChanged);
  const RequestId id = jc.submit<FakeFrames>(JobKind::Generate, sleepyJob(100, 30, &stepsRun), nullptr, ModelNeed::None);
  QVERIFY(progress.wait(3000));
  QTest::qWait(100);
  const int stepsAtCancel = stepsRun.load();
  QElapsedTimer t;
  t.start();
  jc.cancel(id);
  QVERIFY(cancelled.wait(3000));
  const qint64 ms = t.elapsed();
  QCOMPARE(cancelled.at(0).at(0).value<RequestId>(), id);
  QVERIFY2(stepsRun.load() - stepsAtCancel <= 1,
           qPrintable(QString("steps after cancel: %1").arg(stepsRun.load() - stepsAtCancel)));
  QVERIFY2(ms < 200, qPrintable(QString("cancel took %1 ms for 30 ms steps").arg(ms)));
  QTest::qWait(50);
  QCOMPARE(results.count(), 0);
  QVERIFY(!jc.busy());
}

void TstJobController::eventLoopNeverStalls() {
  JobController jc;
  QSignalSpy results(&jc, &JobController::resultReady);
  QElapsedTimer clock;
  clock.start();
  qint64 last = 0, worstGap = 0;
  int ticks = 0;
  QTimer probe;
  probe.setInterval(5);
  connect(&probe, &QTimer::timeout, [&] {
    const qint64 now = clock.elapsed();
    worstGap = std::max(worstGap, now - last);
    last = now;
    ++ticks;
  });
  probe.start();
  // 20 steps of 25 ms, each step busy on the model thread.
  jc.submit(JobKind::Render,
            [](ModelBundle&, JobContext& ctx) -> Result<JobOutcome> {
              for (int i = 1; i <= 20; ++i) {
                QElapsedTimer busy;
                busy.start();
                volatile double x = 0;
                while (busy.elapsed() < 25) x = x + 1.0;
                ctx.report(i, 20, "denoise");
              }
              JobOutcome out;
              out.report.summary = "ok";
              return out;
            },
            ModelNeed::None);
  QVERIFY(results.wait(5000));
  probe.stop();
  QVERIFY2(worstGap <= 50, qPrintable(QString("worst event-loop gap %1 ms over %2 ticks").arg(worstGap).arg(ticks)));
  QVERIFY2(ticks >= 40, qPrintable(QString("only %1 probe ticks in a 500 ms job").arg(ticks)));
}

void TstJobController::failureArrivesAsMessage() {
  JobController jc;
  QSignalSpy failed(&jc, &JobController::failed);
  const RequestId a = jc.submit(JobKind::Custom,
                                [](ModelBundle&, JobContext&) -> Result<JobOutcome> {
                                  return ns::makeError(ns::ErrorKind::BadInput, "photo.png: file not found");
                                },
                                ModelNeed::None);
  const RequestId b = jc.submit(JobKind::Custom,
                                [](ModelBundle&, JobContext&) -> Result<JobOutcome> {
                                  throw std::runtime_error("tensor shape mismatch");
                                },
                                ModelNeed::None);
  QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 2, 3000);
  QCOMPARE(failed.at(0).at(0).value<RequestId>(), a);
  QCOMPARE(failed.at(0).at(1).toString(), QString("photo.png: file not found"));
  QCOMPARE(failed.at(1).at(0).value<RequestId>(), b);
  QVERIFY2(failed.at(1).at(1).toString().contains("tensor shape mismatch"), qPrintable(failed.at(1).at(1).toString()));
}

void TstJobController::requiresModelUnlessToldOtherwise() {
  JobController jc;
  QSignalSpy failed(&jc, &JobController::failed);
  bool ran = false;
  jc.submit(JobKind::Generate, [&ran](ModelBundle&, JobContext&) -> Result<JobOutcome> {
    ran = true;
    return JobOutcome{};
  });
  QVERIFY(failed.wait(3000));
  QVERIFY(!ran);
  QVERIFY2(failed.at(0).at(1).toString().contains("No model"), qPrintable(failed.at(0).at(1).toString()));
  // A failing loader reports its error; the controller stays usable.
  QSignalSpy loaded(&jc, &JobController::modelLoadedChanged);
  jc.loadModel([](ns::JobContext&) -> Result<ModelBundle> { return ns::makeError(ns::ErrorKind::Model, "model.json: missing field \"id\""); });
  QVERIFY(failed.wait(3000));
  QCOMPARE(failed.at(1).at(1).toString(), QString("model.json: missing field \"id\""));
  QCOMPARE(loaded.count(), 0);
  QVERIFY(!jc.modelLoaded());
}

void TstJobController::liveRequestsAreDebouncedAndReplaced() {
  JobController jc;
  jc.setLiveDelayMs(60);
  std::atomic<int> runs{0};
  QSignalSpy results(&jc, &JobController::resultReady);
  auto live = [&runs](int tag) {
    return [&runs, tag](ModelBundle&, JobContext& ctx) -> Result<JobOutcome> {
      ++runs;
      for (int i = 1; i <= 4; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (!ctx.report(i, 4, "live")) return ns::makeError(ns::ErrorKind::Cancelled, "cancelled");
      }
      JobOutcome out;
      out.report.summary = "live " + std::to_string(tag);
      return out;
    };
  };
  // A burst of edits 10 ms apart: only the last one is submitted.
  for (int i = 0; i < 5; ++i) {
    jc.requestLive(live(i), ModelNeed::None);
    QTest::qWait(10);
  }
  QVERIFY(results.wait(3000));
  QCOMPARE(runs.load(), 1);
  QCOMPARE(results.at(0).at(2).toString(), QString("live 4"));
  QVERIFY(results.at(0).at(1).value<JobKind>() == JobKind::LivePreview);
  // A long job occupies the thread; two live requests settle one after the other: the first one
  // queued is replaced by the second and never runs; only the newest result arrives.
  runs = 0;
  results.clear();
  jc.submit<FakeFrames>(JobKind::Render, sleepyJob(10, 20), nullptr, ModelNeed::None);
  jc.requestLive(live(10), ModelNeed::None);
  QTest::qWait(100);  // settles and is queued behind the render
  jc.requestLive(live(11), ModelNeed::None);
  QTRY_COMPARE_WITH_TIMEOUT(results.count(), 2, 5000);
  QTest::qWait(100);
  QCOMPARE(results.count(), 2);
  QCOMPARE(results.at(1).at(2).toString(), QString("live 11"));
  QCOMPARE(runs.load(), 1);
}

void TstJobController::queuedJobCancelledNeverRuns() {
  JobController jc;
  std::atomic<int> secondRan{0};
  QSignalSpy results(&jc, &JobController::resultReady);
  QSignalSpy cancelled(&jc, &JobController::cancelled);
  jc.submit<FakeFrames>(JobKind::Render, sleepyJob(5, 20), nullptr, ModelNeed::None);
  const RequestId second = jc.submit<FakeFrames>(JobKind::Render, sleepyJob(5, 20, &secondRan), nullptr, ModelNeed::None);
  jc.cancel(second);
  QCOMPARE(cancelled.count(), 1);
  QVERIFY(results.wait(3000));
  QTest::qWait(200);
  QCOMPARE(results.count(), 1);
  QCOMPARE(secondRan.load(), 0);
  QVERIFY(!jc.busy());
}

void TstJobController::shutdownWhileRunningCancels() {
  std::atomic<int> stepsRun{0};
  QElapsedTimer t;
  {
    JobController jc;
    jc.submit<FakeFrames>(JobKind::Render, sleepyJob(1000, 10, &stepsRun), nullptr, ModelNeed::None);
    QTRY_VERIFY_WITH_TIMEOUT(stepsRun.load() > 0, 3000);
    t.start();
  }  // destructor: cancel, quit, wait
  QVERIFY2(t.elapsed() < 500, qPrintable(QString("shutdown took %1 ms").arg(t.elapsed())));
  QVERIFY2(stepsRun.load() < 100, qPrintable(QString("%1 steps ran").arg(stepsRun.load())));
}

void TstJobController::lateCancelOfCommittedJobReportsResult() {
  // The job passes its last cancel check, then waits until the test has cancelled it, then
  // finishes: a cancel that came too late. Committed (an export's file is on disk): the result is
  // reported and no "cancelled". Not committed: the result is dropped and "cancelled" reported.
  for (const bool committed : {true, false}) {
    JobController jc;
    std::atomic<bool> pastLastCheck{false}, release{false};
    QSignalSpy cancelled(&jc, &JobController::cancelled);
    QSignalSpy results(&jc, &JobController::resultReady);
    const RequestId id = jc.submit(
        JobKind::Custom,
        [&, committed](ModelBundle&, JobContext& ctx) -> Result<JobOutcome> {
          if (!ctx.report(1, 1, "export")) return ns::makeError(ns::ErrorKind::Cancelled, "cancelled");
          pastLastCheck = true;
          while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(2));
          JobOutcome out;
          out.report.summary = "exported";
          out.report.committed = committed;
          return out;
        },
        ModelNeed::None);
    QElapsedTimer t;
    t.start();
    while (!pastLastCheck && t.elapsed() < 3000) QTest::qWait(5);
    QVERIFY(pastLastCheck);
    jc.cancel(id);
    release = true;
    QTRY_VERIFY_WITH_TIMEOUT(!jc.busy(), 3000);
    QTest::qWait(20);
    if (committed) {
      QCOMPARE(results.count(), 1);
      QCOMPARE(results.at(0).at(2).toString(), QString("exported"));
      QCOMPARE(cancelled.count(), 0);
    } else {
      QCOMPARE(results.count(), 0);
      QCOMPARE(cancelled.count(), 1);
    }
  }
}

void TstJobController::typedResultReachesItsHandler() {
  JobController jc;
  QSignalSpy results(&jc, &JobController::resultReady);
  // Two requests of the same kind, each with its own handler: each result reaches its own, on
  // the UI thread, with the values the model thread made, before resultReady reports it.
  struct Seen {
    int calls = 0;
    QThread* thread = nullptr;
    int resultsBefore = -1;
    ns::FrameBuffer frames;
    std::string summary;
  } a, b;
  auto record = [&results](Seen& seen) {
    return [&seen, &results](FakeFrames&& out) {
      ++seen.calls;
      seen.thread = QThread::currentThread();
      seen.resultsBefore = results.count();
      seen.frames = std::move(out.frames);
      seen.summary = out.summary;
    };
  };
  const RequestId ida = jc.submit<FakeFrames>(JobKind::Render, sleepyJob(3, 5), record(a), ModelNeed::None);
  const RequestId idb = jc.submit<FakeFrames>(JobKind::Render, sleepyJob(4, 5), record(b), ModelNeed::None);
  QTRY_COMPARE_WITH_TIMEOUT(results.count(), 2, 5000);
  QCOMPARE(results.at(0).at(0).value<RequestId>(), ida);
  QCOMPARE(results.at(1).at(0).value<RequestId>(), idb);
  QCOMPARE(a.calls, 1);
  QCOMPARE(b.calls, 1);
  QCOMPARE(a.summary, std::string("done 3"));
  QCOMPARE(b.summary, std::string("done 4"));
  QVERIFY(a.thread == QThread::currentThread() && b.thread == QThread::currentThread());
  QCOMPARE(a.resultsBefore, 0);  // shown before its summary was reported
  QCOMPARE(b.resultsBefore, 1);
  QCOMPARE(a.frames.count, 1);
  QCOMPARE(a.frames.channels, 3);
  QCOMPARE(int(a.frames.data.size()), 12);
  QCOMPARE(a.frames.data[11], 0.5f);
}

void TstJobController::staleResultsNeverReachTheirHandler() {
  JobController jc;
  jc.setLiveDelayMs(30);
  QSignalSpy results(&jc, &JobController::resultReady);
  QSignalSpy cancelled(&jc, &JobController::cancelled);
  QStringList shown;
  auto show = [&shown](const QString& tag) { return [&shown, tag](FakeFrames&&) { shown << tag; }; };
  // A running render occupies the thread; a live preview queued behind it is replaced by a newer
  // one (its handler never runs), and a cancelled render's handler never runs either.
  const RequestId render = jc.submit<FakeFrames>(JobKind::Render, sleepyJob(10, 20), show("render"), ModelNeed::None);
  jc.requestLive<FakeFrames>(sleepyJob(2, 5), show("live old"), ModelNeed::None);
  QTest::qWait(80);  // settles and is queued behind the render
  jc.requestLive<FakeFrames>(sleepyJob(2, 5), show("live new"), ModelNeed::None);
  QTest::qWait(80);
  jc.cancel(render);
  QTRY_COMPARE_WITH_TIMEOUT(results.count(), 1, 5000);
  QTest::qWait(100);
  QCOMPARE(shown, QStringList{"live new"});
  QCOMPARE(results.count(), 1);
  QCOMPARE(cancelled.count(), 2);  // the replaced live preview and the render
  QVERIFY(!jc.busy());
}

void TstJobController::throwingHandlerBecomesFailure() {
  JobController jc;
  QSignalSpy results(&jc, &JobController::resultReady);
  QSignalSpy failed(&jc, &JobController::failed);
  const RequestId id = jc.submit<FakeFrames>(
      JobKind::Custom, sleepyJob(1, 1), [](FakeFrames&&) { throw std::runtime_error("preview has no frame 3"); },
      ModelNeed::None);
  QVERIFY(failed.wait(3000));
  QCOMPARE(failed.at(0).at(0).value<RequestId>(), id);
  QVERIFY2(failed.at(0).at(1).toString().contains("preview has no frame 3"), qPrintable(failed.at(0).at(1).toString()));
  QCOMPARE(results.count(), 0);
  // The controller goes on serving jobs.
  jc.submit(JobKind::Custom, reportJob("next"), ModelNeed::None);
  QVERIFY(results.wait(3000));
  QCOMPARE(results.at(0).at(2).toString(), QString("next"));
}

NS_REGISTER_TEST(TstJobController, runsOnModelThreadWithProgress, cancelStopsWithinOneStep, eventLoopNeverStalls,
                 failureArrivesAsMessage, requiresModelUnlessToldOtherwise, liveRequestsAreDebouncedAndReplaced,
                 typedResultReachesItsHandler, staleResultsNeverReachTheirHandler, throwingHandlerBecomesFailure,
                 queuedJobCancelledNeverRuns, shutdownWhileRunningCancels, lateCancelOfCommittedJobReportsResult)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_job_controller.moc"
#endif
