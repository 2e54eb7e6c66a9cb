#include "ui/jobs/model_worker.h"

#include <QElapsedTimer>

#include <exception>

#include "core/jobs/job_context.h"
#include "core/model/model_bundle.h"
#include "ui/jobs/job_queue.h"

namespace ns::ui {

ModelWorker::ModelWorker(std::shared_ptr<JobQueue> queue)
    : m_queue(std::move(queue)), m_model(std::make_unique<ModelBundle>()) {}

// Runs on the model thread (deleteLater after the thread's finished signal), so the model's
// tensors are freed there, not on the UI thread.
ModelWorker::~ModelWorker() = default;

void ModelWorker::drain() {
  while (auto taken = m_queue->take()) run(taken->request, taken->ctx);
}

void ModelWorker::run(JobRequest& request, const std::shared_ptr<JobContext>& ctx) {
  const RequestId id = request.id;
  const JobKind kind = request.kind;
  emit started(id, kind);

  if (kind == JobKind::LoadModel) {
    Result<ModelBundle> loaded = makeError(ErrorKind::Internal, "no model loader was given");
    try {
      if (request.loader) loaded = request.loader();
    } catch (const std::exception& e) {
      loaded = makeError(ErrorKind::Model, std::string("loading the model failed: ") + e.what());
    }
    m_queue->end(id);
    if (!loaded.ok()) {
      emit failed(id, kind, QString::fromStdString(loaded.error().message));
      return;
    }
    *m_model = std::move(loaded).value();
    const QString what = QString::fromStdString(m_model->sourcePath.empty() ? std::string("model") : m_model->sourcePath);
    emit modelLoaded(id, QStringLiteral("%1 on %2").arg(what, QString::fromStdString(m_model->device)));
    return;
  }

  if (request.need == ModelNeed::Required && !m_model->valid()) {
    m_queue->end(id);
    emit failed(id, kind, tr("No model is loaded: choose the built-in model or a model pack in the Model dock."));
    return;
  }

  // Throttle state lives with the job; the callback runs on this thread only.
  QElapsedTimer clock;
  clock.start();
  qint64 lastEmitMs = -1;
  int lastStep = -1;
  std::string lastStage;
  ctx->setProgressCallback([&](const JobProgress& p) {
    const qint64 now = clock.elapsed();
    const bool stageChanged = p.stage != lastStage;
    const bool edge = p.step >= p.total || lastEmitMs < 0 || stageChanged;
    const bool due = p.step != lastStep && now - lastEmitMs >= kProgressIntervalMs;
    if (!edge && !due) return;
    lastEmitMs = now;
    lastStep = p.step;
    lastStage = p.stage;
    const double eta = p.step > 0 && p.total > p.step ? double(now) / 1000.0 / p.step * (p.total - p.step) : 0.0;
    emit progressChanged(id, p.step, p.total, eta, QString::fromStdString(p.stage));
  });

  Result<JobOutput> out = makeError(ErrorKind::Internal, "the job has no function");
  try {
    if (request.fn) out = request.fn(*m_model, *ctx);
  } catch (const std::exception& e) {
    // Exceptions stay inside the model thread; the UI gets a message.
    out = makeError(ErrorKind::Internal, std::string("the job stopped with an error: ") + e.what());
  }
  const bool wasCancelled = ctx->cancelled();
  m_queue->end(id);

  if (!out.ok()) {
    if (out.error().kind == ErrorKind::Cancelled || wasCancelled) emit cancelled(id, kind);
    else emit failed(id, kind, QString::fromStdString(out.error().message));
    return;
  }
  // Cancelled after it finished its work: dropped, unless that work is committed outside the
  // document (JobOutput::committed; JobController reports such results despite the cancel).
  if (wasCancelled && !out.value().committed) {
    emit cancelled(id, kind);
    return;
  }
  emit finished(id, kind, std::move(out).value());
}

}  // namespace ns::ui
