#pragma once
// JobQueue: the requests waiting for the model thread, plus the running job's JobContext.
// Shared by JobController (UI thread: push, replace live requests, cancel) and ModelWorker (model
// thread: take, begin/end). All methods are thread-safe (one mutex). Cancel reaches a running job
// directly through its JobContext's atomic flag, never through a queued slot.

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/jobs/job_context.h"
#include "ui/jobs/job_types.h"

namespace ns::ui {

class JobQueue {
 public:
  // Appends a request. A LivePreview request removes every queued LivePreview request first
  // (newer live requests replace queued ones); returns the ids it removed.
  std::vector<RequestId> push(JobRequest request);
  // Next request and a fresh JobContext for it, or nullopt when empty (model thread). Taking
  // marks the request as running in the same lock, so a cancel can never fall between the two.
  struct Taken {
    JobRequest request;
    std::shared_ptr<JobContext> ctx;
  };
  std::optional<Taken> take();
  // The model thread says the running job returned.
  void end(RequestId id);

  // Cancels `id`: removes it when queued (returns true), or sets the running job's cancel flag
  // (returns true). False when `id` is unknown (already finished).
  bool cancel(RequestId id);
  // Cancels the running job (if any) and drops every queued one; returns the dropped ids.
  std::vector<RequestId> cancelAll();
  // Cancels the running job if it is of `kind` (used to stop a stale live preview).
  bool cancelRunningOfKind(JobKind kind);

  RequestId runningId() const;
  size_t queuedCount() const;

 private:
  mutable std::mutex m_mutex;
  std::deque<JobRequest> m_queue;
  RequestId m_runningId = 0;
  JobKind m_runningKind = JobKind::Invalid;
  std::shared_ptr<JobContext> m_runningCtx;
};

}  // namespace ns::ui
