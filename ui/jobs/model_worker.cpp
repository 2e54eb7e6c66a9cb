#include "ui/jobs/model_worker.h"

#include <QElapsedTimer>

#include <algorithm>
#include <exception>

#include "core/jobs/job_context.h"
#include "core/model/model_bundle.h"
#include "ui/jobs/engine_jobs.h"
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

  // Throttle state lives with the job; the callback runs on this thread only.
  QElapsedTimer clock;
  clock.start();
  qint64 lastEmitMs = -1, lastPreviewMs = -1;
  qint64 stageStartMs = 0;
  int stageStartStep = 0;
  int lastStep = -1;
  std::string lastStage;
  ctx->setWantsPreview(kind == JobKind::Render || kind == JobKind::Generate || kind == JobKind::Edit);
  ctx->setProgressCallback([&](const JobProgress& p) {
    const qint64 now = clock.elapsed();
    const bool stageChanged = p.stage != lastStage;
    if (stageChanged) {
      // Seconds per step count from the stage's first report: what came before (sketch, prompt
      // encoding, an earlier stage) is not denoising time.
      stageStartMs = now;
      stageStartStep = p.step;
    }
    if (p.preview && (lastPreviewMs < 0 || now - lastPreviewMs >= kPreviewIntervalMs)) {
      FrameBuffer frames = previewFrames(*p.preview);
      if (!frames.empty()) {
        lastPreviewMs = now;
        emit previewReady(id, std::move(frames));
      }
    }
    const bool edge = p.step >= p.total || lastEmitMs < 0 || stageChanged;
    const bool due = p.step != lastStep && now - lastEmitMs >= kProgressIntervalMs;
    if (!edge && !due) return;
    lastEmitMs = now;
    lastStep = p.step;
    lastStage = p.stage;
    const int stepsInStage = p.step - stageStartStep;
    const double perStep = stepsInStage > 0 ? double(now - stageStartMs) / 1000.0 / stepsInStage : 0.0;
    const double eta = p.total > p.step ? perStep * (p.total - p.step) : 0.0;
    emit progressChanged(id, p.step, p.total, eta, QString::fromStdString(p.stage), perStep);
  });

  if (kind == JobKind::LoadModel) {
    Result<ModelBundle> loaded = makeError(ErrorKind::Internal, "no model loader was given");
    try {
      if (request.loader) loaded = request.loader(*ctx);
    } catch (const std::exception& e) {
      loaded = makeError(ErrorKind::Model, std::string("loading the model failed: ") + e.what());
    }
    const bool wasCancelled = ctx->cancelled();
    m_queue->end(id);
    // A cancelled load is dropped even when it completed: the user asked for the old model.
    if (wasCancelled || (!loaded.ok() && loaded.error().kind == ErrorKind::Cancelled)) {
      emit cancelled(id, kind);
      return;
    }
    if (!loaded.ok()) {
      emit failed(id, kind, QString::fromStdString(loaded.error().message));
      return;
    }
    *m_model = std::move(loaded).value();
    const QString what = QString::fromStdString(m_model->sourcePath.empty() ? std::string("model") : m_model->sourcePath);
    int nativeSize = 0, grid = 0;
    if (m_model->valid()) {
      const DenoiserInfo& info = m_model->denoiser->info();
      const int down = m_model->codec ? m_model->codec->downscale() : 1;
      nativeSize = info.sampleSize * down;
      grid = std::max(1, info.sizeMultiple) * down;
    }
    emit modelLoaded(id, QStringLiteral("%1 on %2").arg(what, QString::fromStdString(m_model->device)), nativeSize, grid);
    return;
  }

  if (request.need == ModelNeed::Required && !m_model->valid()) {
    m_queue->end(id);
    emit failed(id, kind, tr("No model is loaded: choose the built-in model or a model pack in the Model dock."));
    return;
  }

  Result<JobOutcome> out = makeError(ErrorKind::Internal, "the job has no function");
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
  // document (JobReport::committed; JobController reports such results despite the cancel).
  if (wasCancelled && !out.value().report.committed) {
    emit cancelled(id, kind);
    return;
  }
  emit finished(id, kind, std::move(out).value());
}

}  // namespace ns::ui
