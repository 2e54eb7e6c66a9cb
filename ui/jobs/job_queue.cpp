#include "ui/jobs/job_queue.h"

#include <algorithm>

namespace ns::ui {

std::vector<RequestId> JobQueue::push(JobRequest request) {
  std::lock_guard<std::mutex> lock(m_mutex);
  std::vector<RequestId> removed;
  if (request.kind == JobKind::LivePreview) {
    for (auto it = m_queue.begin(); it != m_queue.end();) {
      if (it->kind == JobKind::LivePreview) {
        removed.push_back(it->id);
        it = m_queue.erase(it);
      } else {
        ++it;
      }
    }
  }
  m_queue.push_back(std::move(request));
  return removed;
}

std::optional<JobQueue::Taken> JobQueue::take() {
  std::lock_guard<std::mutex> lock(m_mutex);
  if (m_queue.empty()) return std::nullopt;
  Taken t{std::move(m_queue.front()), std::make_shared<JobContext>()};
  m_queue.pop_front();
  m_runningId = t.request.id;
  m_runningKind = t.request.kind;
  m_runningCtx = t.ctx;
  return t;
}

void JobQueue::end(RequestId id) {
  std::lock_guard<std::mutex> lock(m_mutex);
  if (m_runningId != id) return;
  m_runningId = 0;
  m_runningKind = JobKind::Invalid;
  m_runningCtx.reset();
}

bool JobQueue::cancel(RequestId id) {
  std::lock_guard<std::mutex> lock(m_mutex);
  if (id != 0 && id == m_runningId && m_runningCtx) {
    m_runningCtx->cancel();
    return true;
  }
  const auto it = std::find_if(m_queue.begin(), m_queue.end(), [id](const JobRequest& r) { return r.id == id; });
  if (it == m_queue.end()) return false;
  m_queue.erase(it);
  return true;
}

std::vector<RequestId> JobQueue::cancelAll() {
  std::lock_guard<std::mutex> lock(m_mutex);
  if (m_runningCtx) m_runningCtx->cancel();
  std::vector<RequestId> dropped;
  for (const auto& r : m_queue) dropped.push_back(r.id);
  m_queue.clear();
  return dropped;
}

bool JobQueue::cancelRunningOfKind(JobKind kind) {
  std::lock_guard<std::mutex> lock(m_mutex);
  if (!m_runningCtx || m_runningKind != kind) return false;
  m_runningCtx->cancel();
  return true;
}

RequestId JobQueue::runningId() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_runningId;
}

size_t JobQueue::queuedCount() const {
  std::lock_guard<std::mutex> lock(m_mutex);
  return m_queue.size();
}

}  // namespace ns::ui
