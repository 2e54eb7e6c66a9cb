#pragma once
// ModelWorker: lives on the model thread (moved there by JobController). Owns the loaded
// ModelBundle and runs the JobQueue's requests one at a time, each with its own JobContext.
// Everything it emits is delivered to the UI thread through queued connections.
// Progress is throttled here: at most one progressChanged per 50 ms while steps advance, plus the
// first and the last step of a stage, so a fast job cannot flood the UI event loop.

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

 public slots:
  // Runs queued requests until the queue is empty (model thread).
  void drain();

 signals:
  void started(ns::ui::RequestId id, ns::ui::JobKind kind);
  void progressChanged(ns::ui::RequestId id, int step, int total, double etaSeconds, QString stage);
  void finished(ns::ui::RequestId id, ns::ui::JobKind kind, ns::ui::JobOutput output);
  void failed(ns::ui::RequestId id, ns::ui::JobKind kind, QString message);
  void cancelled(ns::ui::RequestId id, ns::ui::JobKind kind);
  void modelLoaded(ns::ui::RequestId id, QString description);

 private:
  void run(JobRequest& request, const std::shared_ptr<JobContext>& ctx);

  std::shared_ptr<JobQueue> m_queue;
  std::unique_ptr<ModelBundle> m_model;  // never null; empty bundle until a model loads
};

}  // namespace ns::ui
