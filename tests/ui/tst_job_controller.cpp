// Tests ui/jobs/job_controller.h: jobs run on the model thread, report throttled progress, cancel
// within one step, stale live previews are dropped, failures arrive as messages, the UI event
// loop keeps running while a job works, and a cancel that comes after a job committed its work
// (an export's file) reports the result, not "cancelled".
#include "tests/support/ns_test.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/jobs/job_context.h"
#include "core/model/model_bundle.h"
#include "ui/jobs/job_controller.h"

using ns::JobContext;
using ns::ModelBundle;
using ns::Result;
using ns::ui::JobController;
using ns::ui::JobKind;
using ns::ui::JobOutput;
using ns::ui::ModelNeed;
using ns::ui::RequestId;

namespace {
// A fake engine verb: `steps` steps of `stepMs` each, reporting progress; stops when cancelled.
ns::ui::JobFn sleepyJob(int steps, int stepMs, std::atomic<int>* stepsRun = nullptr, QThread** ranOn = nullptr) {
  return [=](ModelBundle&, JobContext& ctx) -> Result<JobOutput> {
    if (ranOn) *ranOn = QThread::currentThread();
    for (int i = 1; i <= steps; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(stepMs));
      if (stepsRun) stepsRun->store(i);
      if (!ctx.report(i, steps, "denoise")) return ns::makeError(ns::ErrorKind::Cancelled, "cancelled");
    }
    JobOutput out;
    out.summary = "done " + std::to_string(steps);
    ns::FrameBuffer fb;
    fb.kind = ns::FrameKind::Image;
    fb.count = 1, fb.channels = 3, fb.height = 2, fb.width = 2;
    fb.data.assign(12, 0.5f);
    out.frames.push_back(fb);
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
};

void TstJobController::runsOnModelThreadWithProgress() {
  JobController jc;
  QThread* ranOn = nullptr;
  QSignalSpy results(&jc, &JobController::resultReady);
  QSignalSpy progress(&jc, &JobController::progressChanged);
  const RequestId id = jc.submit(JobKind::Custom, sleepyJob(10, 20, nullptr, &ranOn), ModelNeed::None);
  QVERIFY(results.wait(5000));
  QCOMPARE(results.count(), 1);
  QCOMPARE(results.at(0).at(0).value<RequestId>(), id);
  QVERIFY2(ranOn == jc.modelThread(), "the job must run on the controller's model thread");
  QVERIFY(ranOn != QThread::currentThread());
  const auto out = results.at(0).at(2).value<JobOutput>();
  QCOMPARE(out.summary, std::string("done 10"));
  QCOMPARE(int(out.frames.size()), 1);
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
  const RequestId id = jc.submit(JobKind::Generate, sleepyJob(100, 30, &stepsRun), ModelNeed::None);
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
            [](ModelBundle&, JobContext& ctx) -> Result<JobOutput> {
              for (int i = 1; i <= 20; ++i) {
                QElapsedTimer busy;
                busy.start();
                volatile double x = 0;
                while (busy.elapsed() < 25) x = x + 1.0;
                ctx.report(i, 20, "denoise");
              }
              JobOutput out;
              out.summary = "ok";
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
                                [](ModelBundle&, JobContext&) -> Result<JobOutput> {
                                  return ns::makeError(ns::ErrorKind::BadInput, "photo.png: file not found");
                                },
                                ModelNeed::None);
  const RequestId b = jc.submit(JobKind::Custom,
                                [](ModelBundle&, JobContext&) -> Result<JobOutput> {
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
  jc.submit(JobKind::Generate, [&ran](ModelBundle&, JobContext&) -> Result<JobOutput> {
    ran = true;
    return JobOutput{};
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
    return [&runs, tag](ModelBundle&, JobContext& ctx) -> Result<JobOutput> {
      ++runs;
      for (int i = 1; i <= 4; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (!ctx.report(i, 4, "live")) return ns::makeError(ns::ErrorKind::Cancelled, "cancelled");
      }
      JobOutput out;
      out.summary = "live " + std::to_string(tag);
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
  QCOMPARE(results.at(0).at(2).value<JobOutput>().summary, std::string("live 4"));
  QVERIFY(results.at(0).at(1).value<JobKind>() == JobKind::LivePreview);
  // A long job occupies the thread; two live requests settle one after the other: the first one
  // queued is replaced by the second and never runs; only the newest result arrives.
  runs = 0;
  results.clear();
  jc.submit(JobKind::Render, sleepyJob(10, 20), ModelNeed::None);
  jc.requestLive(live(10), ModelNeed::None);
  QTest::qWait(100);  // settles and is queued behind the render
  jc.requestLive(live(11), ModelNeed::None);
  QTRY_COMPARE_WITH_TIMEOUT(results.count(), 2, 5000);
  QTest::qWait(100);
  QCOMPARE(results.count(), 2);
  QCOMPARE(results.at(1).at(2).value<JobOutput>().summary, std::string("live 11"));
  QCOMPARE(runs.load(), 1);
}

void TstJobController::queuedJobCancelledNeverRuns() {
  JobController jc;
  std::atomic<int> secondRan{0};
  QSignalSpy results(&jc, &JobController::resultReady);
  QSignalSpy cancelled(&jc, &JobController::cancelled);
  jc.submit(JobKind::Render, sleepyJob(5, 20), ModelNeed::None);
  const RequestId second = jc.submit(JobKind::Render, sleepyJob(5, 20, &secondRan), ModelNeed::None);
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
    jc.submit(JobKind::Render, sleepyJob(1000, 10, &stepsRun), ModelNeed::None);
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
        [&, committed](ModelBundle&, JobContext& ctx) -> Result<JobOutput> {
          if (!ctx.report(1, 1, "export")) return ns::makeError(ns::ErrorKind::Cancelled, "cancelled");
          pastLastCheck = true;
          while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(2));
          JobOutput out;
          out.summary = "exported";
          out.committed = committed;
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
      QCOMPARE(results.at(0).at(2).value<JobOutput>().summary, std::string("exported"));
      QCOMPARE(cancelled.count(), 0);
    } else {
      QCOMPARE(results.count(), 0);
      QCOMPARE(cancelled.count(), 1);
    }
  }
}

NS_REGISTER_TEST(TstJobController, runsOnModelThreadWithProgress, cancelStopsWithinOneStep, eventLoopNeverStalls,
                 failureArrivesAsMessage, requiresModelUnlessToldOtherwise, liveRequestsAreDebouncedAndReplaced,
                 queuedJobCancelledNeverRuns, shutdownWhileRunningCancels, lateCancelOfCommittedJobReportsResult)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_job_controller.moc"
#endif
