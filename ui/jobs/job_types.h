#pragma once
// Job values shared by JobController (UI thread) and ModelWorker (model thread).
// A job is a plain function run on the model thread with the loaded ModelBundle and its own
// JobContext; every engine verb plugs in as one of these (see ui/jobs/engine_jobs.h).
// Only plain types cross threads: results are FrameBuffers plus a text summary.

#include <QMetaType>
#include <QString>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/util/frame_buffer.h"
#include "core/util/result.h"

namespace ns {
struct ModelBundle;
class JobContext;
}  // namespace ns

namespace ns::ui {

using RequestId = quint64;  // 0 = none; ids grow with every submit

// What a job does; decides how the UI uses its result. Runtime only (not persisted).
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
  Custom,        // anything else (tests, tools)
};
QString toString(JobKind kind);

// What a job hands back to the UI thread.
struct JobOutput {
  std::vector<FrameBuffer> frames;  // images, noise or flow (FrameBuffer::kind says which)
  std::string summary;              // one line for the status bar / log
  std::map<std::string, double> metrics;  // named numbers, e.g. "mean", "std", "lag1" of a noise field
  // The job changed something outside the document (an export wrote its file). A cancel that
  // arrives after such a job finished cannot undo that, so its result is reported all the same
  // instead of a "cancelled" that would be untrue. (Other results of cancelled jobs are dropped:
  // the document stays as it was.)
  bool committed = false;
};

using JobFn = std::function<Result<JobOutput>(ModelBundle&, JobContext&)>;
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

}  // namespace ns::ui

Q_DECLARE_METATYPE(ns::ui::JobOutput)
Q_DECLARE_METATYPE(ns::ui::JobKind)
Q_DECLARE_METATYPE(ns::FrameBuffer)
