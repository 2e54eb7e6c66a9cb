#include "ui/jobs/job_controller.h"

#include <spdlog/spdlog.h>

#include <exception>

#include "ui/jobs/job_queue.h"
#include "ui/jobs/model_worker.h"

namespace ns::ui {

QString toString(JobKind kind) {
  switch (kind) {
    case JobKind::LoadModel: return QStringLiteral("load model");
    case JobKind::Generate: return QStringLiteral("generate");
    case JobKind::LivePreview: return QStringLiteral("live preview");
    case JobKind::Render: return QStringLiteral("render");
    case JobKind::Invert: return QStringLiteral("invert");
    case JobKind::Edit: return QStringLiteral("edit");
    case JobKind::Warp: return QStringLiteral("warp noise");
    case JobKind::Search: return QStringLiteral("noise search");
    case JobKind::NoiseInspect: return QStringLiteral("noise");
    case JobKind::Custom: return QStringLiteral("job");
    case JobKind::Invalid: break;
  }
  return QStringLiteral("invalid");
}

JobController::JobController(QObject* parent) : QObject(parent), m_queue(std::make_shared<JobQueue>()) {
  qRegisterMetaType<ns::ui::RequestId>("ns::ui::RequestId");
  qRegisterMetaType<ns::ui::JobKind>("ns::ui::JobKind");
  qRegisterMetaType<ns::ui::JobOutcome>("ns::ui::JobOutcome");
  qRegisterMetaType<ns::FrameBuffer>("ns::FrameBuffer");

  m_thread.setObjectName(QStringLiteral("model"));
  m_worker = new ModelWorker(m_queue);
  m_worker->moveToThread(&m_thread);
  connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
  // Worker -> controller: queued (different threads), so every handler runs on the UI thread.
  connect(m_worker, &ModelWorker::started, this, &JobController::started, Qt::QueuedConnection);
  connect(m_worker, &ModelWorker::progressChanged, this,
          [this](RequestId id, int step, int total, double eta, QString stage, double perStep) {
            if (!m_cancelled.contains(id)) emit progressChanged(id, step, total, eta, stage, perStep);
          },
          Qt::QueuedConnection);
  connect(m_worker, &ModelWorker::previewReady, this,
          [this](RequestId id, FrameBuffer frames) {
            // Signals from one thread arrive in order, so a preview is never behind its result;
            // m_pending drops one that raced with a cancel.
            if (m_pending.contains(id) && !m_cancelled.contains(id)) emit previewReady(id, std::move(frames));
          },
          Qt::QueuedConnection);
  connect(m_worker, &ModelWorker::finished, this, &JobController::onFinished, Qt::QueuedConnection);
  connect(m_worker, &ModelWorker::failed, this, &JobController::onFailed, Qt::QueuedConnection);
  connect(m_worker, &ModelWorker::cancelled, this, &JobController::onCancelled, Qt::QueuedConnection);
  connect(m_worker, &ModelWorker::modelLoaded, this, &JobController::onModelLoaded, Qt::QueuedConnection);
  m_thread.start();

  m_liveTimer.setSingleShot(true);
  m_liveTimer.setInterval(250);
  connect(&m_liveTimer, &QTimer::timeout, this, [this] {
    if (!m_liveFn) return;
    // A running live preview would only produce a stale picture: stop it.
    m_queue->cancelRunningOfKind(JobKind::LivePreview);
    submit(JobKind::LivePreview, std::move(m_liveFn), m_liveNeed);
    m_liveFn = nullptr;
  });
}

JobController::~JobController() {
  m_liveTimer.stop();
  m_queue->cancelAll();
  m_thread.quit();
  m_thread.wait();
}

RequestId JobController::submit(JobKind kind, JobFn fn, ModelNeed need) {
  JobRequest r;
  r.kind = kind;
  r.need = need;
  r.fn = std::move(fn);
  return enqueue(std::move(r));
}

RequestId JobController::loadModel(ModelLoaderFn loader) {
  JobRequest r;
  r.kind = JobKind::LoadModel;
  r.need = ModelNeed::None;
  r.loader = std::move(loader);
  return enqueue(std::move(r));
}

RequestId JobController::enqueue(JobRequest request) {
  request.id = m_nextId++;
  const RequestId id = request.id;
  if (request.kind == JobKind::LivePreview) m_latestLive = id;
  m_pending.insert(id);
  const std::vector<RequestId> replaced = m_queue->push(std::move(request));
  for (RequestId old : replaced) {
    m_pending.remove(old);
    emit cancelled(old);
  }
  QMetaObject::invokeMethod(m_worker, "drain", Qt::QueuedConnection);
  return id;
}

void JobController::requestLive(JobFn fn, ModelNeed need) {
  m_liveFn = std::move(fn);
  m_liveNeed = need;
  m_liveTimer.start();  // restarts: only the last request of a burst is submitted
}

void JobController::cancel(RequestId id) {
  if (!m_pending.contains(id)) return;
  m_cancelled.insert(id);
  const bool wasQueuedOrRunning = m_queue->cancel(id);
  // A queued request never reaches the worker again: end it here. A running one ends when the
  // worker reports back (within one step).
  if (wasQueuedOrRunning && m_queue->runningId() != id) {
    jobEnded(id);
    emit cancelled(id);
  }
}

void JobController::cancelAll() {
  m_liveTimer.stop();
  m_liveFn = nullptr;
  const RequestId running = m_queue->runningId();
  if (running) m_cancelled.insert(running);
  for (RequestId id : m_queue->cancelAll()) {
    m_cancelled.insert(id);
    jobEnded(id);
    emit cancelled(id);
  }
}

RequestId JobController::runningId() const { return m_queue->runningId(); }

bool JobController::busy() const { return !m_pending.isEmpty(); }

bool JobController::isStale(RequestId id, JobKind kind) const {
  if (m_cancelled.contains(id)) return true;
  return kind == JobKind::LivePreview && id != m_latestLive;
}

void JobController::onFinished(RequestId id, JobKind kind, JobOutcome outcome) {
  const bool userCancelled = m_cancelled.contains(id);
  const bool stale = isStale(id, kind) && !(userCancelled && outcome.report.committed);
  jobEnded(id);
  if (userCancelled && !stale) spdlog::info("request {} finished (and committed) before its cancel arrived", id);
  if (stale) {
    spdlog::debug("dropping stale result of request {}", id);
    if (userCancelled) emit cancelled(id);
    return;
  }
  if (outcome.deliver) {
    // The handler shows the result (UI thread). An exception must not unwind through Qt's event
    // loop: it becomes this request's failure instead.
    try {
      outcome.deliver();
    } catch (const std::exception& e) {
      spdlog::error("showing the result of request {} failed: {}", id, e.what());
      emit failed(id, QStringLiteral("showing the result failed: %1").arg(QString::fromUtf8(e.what())));
      return;
    }
  }
  emit resultReady(id, kind, QString::fromStdString(outcome.report.summary));
}

void JobController::onFailed(RequestId id, JobKind kind, QString message) {
  const bool wasCancelled = m_cancelled.contains(id);
  jobEnded(id);
  if (wasCancelled) return;
  spdlog::warn("{} failed: {}", toString(kind).toStdString(), message.toStdString());
  emit failed(id, message);
}

void JobController::onCancelled(RequestId id, JobKind kind) {
  jobEnded(id);
  emit cancelled(id);
}

void JobController::onModelLoaded(RequestId id, QString description, int nativeSize, int sizeGrid) {
  m_modelLoaded = true;
  m_nativeSize = nativeSize;
  m_sizeGrid = sizeGrid;
  jobEnded(id);
  emit modelLoadedChanged(id, description);
}

void JobController::jobEnded(RequestId id) {
  m_pending.remove(id);
  m_cancelled.remove(id);
  if (m_pending.isEmpty()) emit idle();
}

}  // namespace ns::ui
