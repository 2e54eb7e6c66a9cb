#pragma once
// JobController: the UI thread's handle on the model thread (DESIGN.md ui/jobs, STYLE.md §3).
//  - Owns one QThread and a ModelWorker moved onto it; the worker owns the ModelBundle and runs
//    jobs one at a time. The UI thread never calls torch: it only submits functions.
//  - submit() returns a request id; results, failures and cancellations carry it. A typed job's
//    result goes to the handler given with it (on the UI thread), then resultReady reports its
//    summary. Results of requests that were cancelled, or of live previews older than the newest
//    one, are dropped: their handler never runs.
//  - cancel() sets the running job's JobContext flag directly from the calling (UI) thread.
//  - requestLive(): debounced (liveDelayMs, default 250 ms); when it fires, the job replaces any
//    queued live preview and stops a running one (its result would be stale anyway).
//  - Destruction: cancel everything, quit(), wait().
// Lives on the UI thread; all signals are emitted there.

#include <QObject>
#include <QSet>
#include <QThread>
#include <QTimer>

#include <memory>

#include "ui/jobs/job_types.h"

namespace ns::ui {

class JobQueue;
class ModelWorker;

class JobController : public QObject {
  Q_OBJECT
 public:
  explicit JobController(QObject* parent = nullptr);
  ~JobController() override;

  RequestId submit(JobKind kind, JobFn fn, ModelNeed need = ModelNeed::Required);
  // A typed job: its result reaches `show` on the UI thread (unless the request went stale).
  template <class T>
  RequestId submit(JobKind kind, TypedJobFn<T> work, typename NotDeduced<ResultHandler<T>>::type show,
                   ModelNeed need = ModelNeed::Required) {
    return submit(kind, deliverTo<T>(std::move(work), std::move(show)), need);
  }
  RequestId loadModel(ModelLoaderFn loader);
  // Debounced live preview; returns immediately. The job is submitted when no newer call came
  // within liveDelayMs.
  void requestLive(JobFn fn, ModelNeed need = ModelNeed::Required);
  template <class T>
  void requestLive(TypedJobFn<T> work, typename NotDeduced<ResultHandler<T>>::type show,
                   ModelNeed need = ModelNeed::Required) {
    requestLive(deliverTo<T>(std::move(work), std::move(show)), need);
  }
  void setLiveDelayMs(int ms) { m_liveTimer.setInterval(ms); }
  int liveDelayMs() const { return m_liveTimer.interval(); }

  // Cancels one request (queued: dropped; running: flag set, it stops within one step).
  void cancel(RequestId id);
  // Cancels the running job and everything queued.
  void cancelAll();

  RequestId runningId() const;
  bool busy() const;  // a job is running or queued
  const QThread* modelThread() const { return &m_thread; }
  bool modelLoaded() const { return m_modelLoaded; }
  // The loaded model's native square image size and the pixel grid sizes must be multiples of
  // (0 until a model loaded). Set before modelLoadedChanged is emitted.
  int modelNativeSize() const { return m_nativeSize; }
  int modelSizeGrid() const { return m_sizeGrid; }

 signals:
  void started(ns::ui::RequestId id, ns::ui::JobKind kind);
  // secondsPerStep: measured within the stage (0 until a step of it has run).
  void progressChanged(ns::ui::RequestId id, int step, int total, double etaSeconds, QString stage,
                       double secondsPerStep);
  // An intermediate picture of a running Render / Generate / Edit (the step's x̂0); never after
  // the job's result, never for a cancelled job.
  void previewReady(ns::ui::RequestId id, ns::FrameBuffer frames);
  // After the result's handler ran: the job's one-line summary (for the status bar and logs).
  void resultReady(ns::ui::RequestId id, ns::ui::JobKind kind, QString summary);
  void failed(ns::ui::RequestId id, QString message);
  void cancelled(ns::ui::RequestId id);
  void modelLoadedChanged(ns::ui::RequestId id, QString description);
  void idle();  // nothing running or queued any more

 private:
  RequestId enqueue(JobRequest request);
  void onFinished(RequestId id, JobKind kind, JobOutcome outcome);
  void onFailed(RequestId id, JobKind kind, QString message);
  void onCancelled(RequestId id, JobKind kind);
  void onModelLoaded(RequestId id, QString description, int nativeSize, int sizeGrid);
  void jobEnded(RequestId id);
  bool isStale(RequestId id, JobKind kind) const;

  std::shared_ptr<JobQueue> m_queue;
  QThread m_thread;
  ModelWorker* m_worker = nullptr;  // deleted on the model thread when it finishes
  RequestId m_nextId = 1;
  RequestId m_latestLive = 0;
  QSet<RequestId> m_pending;    // submitted and not ended yet
  QSet<RequestId> m_cancelled;  // cancelled by the user: their late results are dropped
  QTimer m_liveTimer;
  JobFn m_liveFn;
  ModelNeed m_liveNeed = ModelNeed::Required;
  bool m_modelLoaded = false;
  int m_nativeSize = 0, m_sizeGrid = 0;
};

}  // namespace ns::ui
