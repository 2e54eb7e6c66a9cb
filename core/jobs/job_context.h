#pragma once
// JobContext: what a running job shares with whoever started it.
//  - cancel(): may be called from any thread; the job checks cancelled() between steps and
//    returns ErrorKind::Cancelled within one denoising step.
//  - the progress callback runs on the job's own thread; keep it cheap (the UI throttles and
//    forwards it through a queued signal). `preview` (optional) is the step's x̂0 (decoded frames
//    [F,3,H,W] in [-1,1] when the job can afford it) and is only valid during the call.
// One JobContext per job; never shared between jobs.

#include <atomic>
#include <functional>
#include <string>

namespace at {
class Tensor;
}

namespace ns {

struct JobProgress {
  int step = 0;                        // steps done, 0..total
  int total = 0;                       // total steps of this stage
  std::string stage;                   // e.g. "denoise", "invert", "warp"
  const at::Tensor* preview = nullptr; // optional intermediate result, valid during the callback
};

class JobContext {
 public:
  using ProgressFn = std::function<void(const JobProgress&)>;

  JobContext() = default;
  explicit JobContext(ProgressFn onProgress) : m_onProgress(std::move(onProgress)) {}
  JobContext(const JobContext&) = delete;
  JobContext& operator=(const JobContext&) = delete;

  void cancel() { m_cancel.store(true, std::memory_order_release); }
  bool cancelled() const { return m_cancel.load(std::memory_order_acquire); }

  // Reports progress (no-op without a callback). Returns !cancelled() so loops can
  // `if (!ctx.report(...)) return cancelledError();`.
  bool report(int step, int total, const std::string& stage, const at::Tensor* preview = nullptr) const {
    if (m_onProgress) m_onProgress(JobProgress{step, total, stage, preview});
    return !cancelled();
  }
  void setProgressCallback(ProgressFn fn) { m_onProgress = std::move(fn); }
  bool wantsPreview() const { return m_wantsPreview; }
  void setWantsPreview(bool on) { m_wantsPreview = on; }

 private:
  std::atomic<bool> m_cancel{false};
  ProgressFn m_onProgress;
  bool m_wantsPreview = false;
};

}  // namespace ns
