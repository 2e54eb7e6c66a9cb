#pragma once
// Job values shared by JobController (UI thread) and ModelWorker (model thread).
// A job is a plain function run on the model thread with the loaded ModelBundle and its own
// JobContext; every engine verb plugs in as one of these (see ui/jobs/engine_jobs.h).
//
// Typed results: a verb's job returns its own result type T (a JobReport plus what the verb
// made: ui/jobs/job_results.h), and whoever submits it names the one handler that shows it
// (JobController::submit(kind, TypedJobFn<T>, ResultHandler<T>)). The value travels from the
// model thread to that handler untouched: no list positions or string keys to decode, and no
// central dispatch on the job's kind. Only plain types cross threads (FrameBuffers, numbers,
// strings), so the UI thread never sees a tensor.

#include <QMetaType>
#include <QString>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "core/util/frame_buffer.h"
#include "core/util/result.h"

namespace ns {
struct ModelBundle;
class JobContext;
}  // namespace ns

namespace ns::ui {

using RequestId = quint64;  // 0 = none; ids grow with every submit

// What a job does; decides how it is scheduled (live previews replace each other, which jobs
// get step previews) and what the progress bar calls it. Runtime only (not persisted).
enum class JobKind {
  Invalid = 0,
  LoadModel,     // replaces the worker's ModelBundle
  Generate,      // text-to-image / clip
  LivePreview,   // few-step preview after an edit settles; newer ones replace queued ones
  Render,        // the full project render
  Invert,        // photo -> noise maps
  Edit,          // re-render from inverted noise with edits
  Warp,          // warped noise
  Search,        // noise search
  NoiseInspect,  // produces the current noise field for the inspector
  Custom,        // anything else (tests, tools, file reads and exports)
};
QString toString(JobKind kind);

// What every typed result has: a line for the status bar / log, and whether the job changed
// something outside the document (an export wrote its file). A cancel that arrives after such a
// job finished cannot undo that, so its result is reported all the same instead of a "cancelled"
// that would be untrue. (Other results of cancelled jobs are dropped: the document stays as it was.)
struct JobReport {
  std::string summary;
  bool committed = false;
};

// What a finished job hands to the UI thread: its report and the delivery of its typed result
// to the handler its submitter named. JobController runs `deliver` on the UI thread, only for a
// result that is not stale (not cancelled, not an outdated live preview).
struct JobOutcome {
  JobReport report;
  std::function<void()> deliver;  // empty: nothing to show beyond the report
};

using JobFn = std::function<Result<JobOutcome>(ModelBundle&, JobContext&)>;
// A job whose result is a T (derived from JobReport), and the UI-thread handler that shows it.
template <class T>
using TypedJobFn = std::function<Result<T>(ModelBundle&, JobContext&)>;
template <class T>
using ResultHandler = std::function<void(T&&)>;

// A model load gets the job's context: it reports its parts as progress ("load: unet" ...) and may
// stop early when the context is cancelled. A load whose context was cancelled is never installed.
using ModelLoaderFn = std::function<Result<ModelBundle>(JobContext&)>;

// Whether a job needs a loaded model. Jobs that need none (tests, file conversions) still run on
// the model thread and get an empty bundle.
enum class ModelNeed {
  Invalid = 0,
  Required,  // fails with a readable error when no model is loaded
  None,      // runs with whatever bundle is there (possibly empty)
};

struct JobRequest {
  RequestId id = 0;
  JobKind kind = JobKind::Invalid;
  ModelNeed need = ModelNeed::Required;
  JobFn fn;               // set for every kind except LoadModel
  ModelLoaderFn loader;   // set for LoadModel
};

// Joins a typed job and its handler into the JobFn the queue runs: the model thread runs `work`,
// and the result (moved, never copied) reaches `show` on the UI thread through JobOutcome::deliver.
template <class T>
JobFn deliverTo(TypedJobFn<T> work, ResultHandler<T> show) {
  static_assert(std::is_base_of_v<JobReport, T>, "a typed job result derives from JobReport");
  return [work = std::move(work), show = std::move(show)](ModelBundle& model, JobContext& ctx) -> Result<JobOutcome> {
    Result<T> r = work(model, ctx);
    if (!r.ok()) return r.error();
    JobOutcome out;
    out.report = static_cast<const JobReport&>(r.value());
    if (show) {
      // Shared so the std::function holding it stays copyable (Qt's queued signal copies it).
      auto value = std::make_shared<T>(std::move(r).value());
      out.deliver = [show, value] { show(std::move(*value)); };
    }
    return out;
  };
}

// Keeps a parameter out of template argument deduction (std::type_identity is C++20), so a
// lambda can be passed where a ResultHandler<T> is expected and T comes from the job alone.
template <class T>
struct NotDeduced {
  using type = T;
};

}  // namespace ns::ui

Q_DECLARE_METATYPE(ns::ui::JobOutcome)
Q_DECLARE_METATYPE(ns::ui::JobKind)
Q_DECLARE_METATYPE(ns::FrameBuffer)
