#pragma once
// ModelWorker: lives on the model thread (moved there by JobController). Owns the loaded
// ModelBundle and runs the JobQueue's requests one at a time, each with its own JobContext.
// Everything it emits is delivered to the UI thread through queued connections.
// Progress is throttled here: at most one progressChanged per 50 ms while steps advance, plus the
// first and the last step of a stage, so a fast job cannot flood the UI event loop. Seconds per
// step and the ETA are measured within the current stage (not from the job's start, which would
// count the sketch, prompt encoding or model loading as denoising time).
// Previews: Render / Generate / Edit jobs ask for the step's x̂0 (JobContext::wantsPreview); the
// first one and then at most one per kPreviewIntervalMs are converted here (model thread) and
// sent as previewReady.
// Model loads: the loader reports its parts through the job's context; a load cancelled while it
// ran is dropped (the previous model stays).

#include <QObject>
#include <QString>

#include <memory>

#include "ui/jobs/job_types.h"

namespace ns::ui {

class JobQueue;

class ModelWorker : public QObject {
  Q_OBJECT
 public:
  explicit ModelWorker(std::shared_ptr<JobQueue> queue);
  ~ModelWorker() override;

  static constexpr int kProgressIntervalMs = 50;
  static constexpr int kPreviewIntervalMs = 250;

 public slots:
  // Runs queued requests until the queue is empty (model thread).
  void drain();

 signals:
  void started(ns::ui::RequestId id, ns::ui::JobKind kind);
  void progressChanged(ns::ui::RequestId id, int step, int total, double etaSeconds, QString stage,
                       double secondsPerStep);
  void previewReady(ns::ui::RequestId id, ns::FrameBuffer frames);
  void finished(ns::ui::RequestId id, ns::ui::JobKind kind, ns::ui::JobOutcome outcome);
  void failed(ns::ui::RequestId id, ns::ui::JobKind kind, QString message);
  void cancelled(ns::ui::RequestId id, ns::ui::JobKind kind);
  // nativeSize: the model's native square image size in pixels; sizeGrid: what sizes must be a
  // multiple of (codec downscale x the denoiser's size multiple).
  void modelLoaded(ns::ui::RequestId id, QString description, int nativeSize, int sizeGrid);

 private:
  void run(JobRequest& request, const std::shared_ptr<JobContext>& ctx);

  std::shared_ptr<JobQueue> m_queue;
  std::unique_ptr<ModelBundle> m_model;  // never null; empty bundle until a model loads
};

}  // namespace ns::ui
