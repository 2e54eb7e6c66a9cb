// MainWindow: model jobs — render, live preview, noise inspector, invert/edit, model loading —
// and what their results do to the window.
#include <QFileInfo>
#include <QFutureWatcher>
#include <QStatusBar>
#include <QtConcurrent/QtConcurrentRun>

#include <nlohmann/json.hpp>

#include "ui/canvas/canvas_scene.h"
#include "ui/docks/inversion_dock.h"
#include "ui/docks/model_dock.h"
#include "ui/docks/model_sizes.h"
#include "ui/docks/noise_dock.h"
#include "ui/docks/properties_dock.h"
#include "ui/frame_convert.h"
#include "ui/jobs/engine_jobs.h"
#include "ui/jobs/job_controller.h"
#include "ui/jobs/model_listing.h"
#include "ui/jobs/model_loader.h"
#include "ui/main_window.h"
#include "ui/preview/preview_widget.h"
#include "ui/project_document.h"
#include "ui/widgets/error_banner.h"
#include "ui/widgets/job_progress_bar.h"
#include "ui/widgets/timeline_widget.h"

namespace ns::ui {

namespace {
// What a window result other than a full render remembers: the settings it was made with (taken
// when the job is submitted, so later edits do not leak into it).
media::ResultMetadata windowResultMetadata(const char* verb, double cfg, const Project& p, const QString& source) {
  nlohmann::json recipe{{"verb", verb},
                        {"source", source.toStdString()},
                        {"prompt", fullPrompt(p)},
                        {"seed", p.seed},
                        {"model", p.model},
                        {"steps", p.render.steps},
                        {"cfg", cfg},
                        {"cfg_source", p.inversion.cfgSource},
                        {"skip", p.inversion.skip}};
  return media::recipeMetadata(recipe.dump());
}
}  // namespace

void MainWindow::connectJobs() {
  m_inversionCache = makeInversionCache();
  m_model->setCudaAvailable(m_options.cudaAvailable);
  refreshModelList();
  m_inversion->setEngineSupport(true, {});
  connect(m_model, &ModelDock::loadRequested, this, &MainWindow::loadModel);
  connect(m_noise, &NoiseDock::inspectRequested, this, &MainWindow::inspectNoise);
  connect(m_inversion, &InversionDock::invertRequested, this, &MainWindow::runInvert);
  connect(m_inversion, &InversionDock::rerenderRequested, this, &MainWindow::runEdit);
  connect(m_inversion, &InversionDock::compareToggled, this, [this](bool) { updateCompare(); });
  connect(m_progress, &JobProgressBar::cancelRequested, this, &MainWindow::cancelJob);

  connect(m_jobs, &JobController::started, this, [this](RequestId id, JobKind kind) {
    m_activeJob = id;
    m_progress->begin(toString(kind));
  });
  connect(m_jobs, &JobController::progressChanged, this,
          [this](RequestId, int step, int total, double eta, const QString& stage, double perStep) {
            m_progress->setProgress(step, total, eta, stage, perStep);
          });
  connect(m_jobs, &JobController::previewReady, this, [this](RequestId id, const FrameBuffer& frames) {
    // The step's x̂0 while a render runs; the result replaces it when it arrives. A video model
    // denoises the clip jointly and previews every frame: the timeline's frame stays in view.
    if (id != m_activeJob) return;
    m_preview->setFrames(frames);
    m_preview->setCurrentFrame(frames.count > 1 ? std::min(currentFrame(), frames.count - 1) : 0);
  });
  connect(m_jobs, &JobController::idle, this, [this] {
    m_activeJob = 0;
    m_progress->end();
  });
  // Each result went to its own handler (named where the job is submitted); this is its summary.
  connect(m_jobs, &JobController::resultReady, this, [this](RequestId, JobKind, const QString& summary) {
    if (!summary.isEmpty()) statusBar()->showMessage(summary, 5000);
  });
  connect(m_jobs, &JobController::failed, this, [this](RequestId id, const QString& message) {
    if (id == m_modelRequest) {
      // The model thread keeps the model it had: say so, and show that model's choice again.
      m_model->setStatus(m_loadedChoice ? tr("Not loaded: %1 (kept the current model)").arg(message)
                                        : tr("Not loaded: %1").arg(message));
      if (m_loadedChoice) m_model->setChoice(*m_loadedChoice);
    }
    showError(message);
  });
  connect(m_jobs, &JobController::cancelled, this, [this](RequestId id) {
    if (id == m_modelRequest) {
      m_model->setStatus(m_loadedChoice ? tr("Load cancelled (kept the current model)") : tr("Load cancelled"));
      if (m_loadedChoice) m_model->setChoice(*m_loadedChoice);
    }
    statusBar()->showMessage(tr("Cancelled"), 3000);
  });
  connect(m_jobs, &JobController::modelLoadedChanged, this, [this](RequestId id, const QString& what) {
    m_model->setStatus(tr("Loaded: %1").arg(what));
    if (id == m_modelRequest && m_requestedChoice) {
      m_loadedChoice = std::make_unique<ModelChoice>(*m_requestedChoice);
      const bool builtin = m_loadedChoice->source == ModelSource::Builtin;
      QString description = builtin ? tr("built-in shapes model") : QFileInfo(m_loadedChoice->path).fileName();
      if (!m_loadedChoice->motionModule.isEmpty())
        description += tr(" + motion %1").arg(QFileInfo(m_loadedChoice->motionModule).fileName());
      m_model->setCurrent(builtin ? QStringLiteral("builtin") : m_loadedChoice->path, description);
    }
    // Another model may make other noise for the same project (its latent size, its planned parts).
    m_renderNoise = {};
    // Sizes follow the model: its native size, the usual squares and aspect ratios on its grid.
    m_properties->setSizeChoices(sizeChoicesFor(m_jobs->modelNativeSize(), m_jobs->modelSizeGrid()));
    statusBar()->showMessage(tr("Model ready"), 3000);
  });
}

void MainWindow::loadModel(const ModelChoice& choice) {
  m_model->setStatus(tr("Loading…"));
  m_requestedChoice = std::make_unique<ModelChoice>(choice);
  m_modelRequest = m_jobs->loadModel(modelLoader(choice));
}

void MainWindow::refreshModelList() {
  // Probing reads each checkpoint's header (or a diffusers folder's configs), never its weights,
  // but a folder of many files on a slow disk still should not hold up the window.
  const quint64 serial = ++m_listSerial;
  auto* watcher = new QFutureWatcher<QList<ModelListEntry>>(this);
  connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, serial] {
    watcher->deleteLater();
    if (serial != m_listSerial) return;  // a newer listing is on its way
    m_model->setInstalledModels(watcher->result());
    emit modelListRefreshed();
  });
  watcher->setFuture(QtConcurrent::run(listModelFolder, userModelFolder()));
}

void MainWindow::render() {
  // The result remembers the project as it was when the render started, not as edited since.
  const Project& p = m_doc->project();
  m_jobs->submit<RenderOutput>(JobKind::Render, renderJob(p),
                               [this, meta = media::projectMetadata(p)](RenderOutput&& out) { showRender(std::move(out), meta); });
}

void MainWindow::inspectNoise() {
  m_noise->clearStats(tr("Computing…"));
  // The noise of the render on screen when it is still this project's; else made on the model thread.
  m_jobs->submit<NoiseFieldOutput>(JobKind::NoiseInspect,
                                   noiseInspectJob(m_doc->project(), currentFrame(), m_inversionCache, &m_renderNoise),
                                   [this](NoiseFieldOutput&& out) { showNoiseField(std::move(out)); });
}

void MainWindow::runInvert() {
  if (m_source.empty()) {
    showError(tr("Drop a photo on the window first."));
    return;
  }
  m_jobs->submit<InvertOutput>(JobKind::Invert, invertJob(m_doc->project(), m_source, m_inversionCache),
                               [this](InvertOutput&& out) { showInversion(std::move(out)); });
}

void MainWindow::runEdit() {
  const Project& p = m_doc->project();
  m_jobs->submit<EditOutput>(JobKind::Edit, editJob(p, m_inversion->edits(), m_inversionCache),
                             [this, meta = windowResultMetadata("edit (window)", p.inversion.cfgTarget, p, m_sourcePath)](
                                 EditOutput&& out) { showEdit(std::move(out), meta); });
}

void MainWindow::requestLivePreview() {
  const Project& p = m_doc->project();
  m_jobs->requestLive<RenderOutput>(
      renderJob(p, std::min(8, p.render.steps), currentFrame()),
      [this, meta = windowResultMetadata("preview (window)", p.render.cfg, p, m_sourcePath)](RenderOutput&& out) {
        showRender(std::move(out), meta);
      });
}

void MainWindow::cancelJob() {
  if (m_activeJob) m_jobs->cancel(m_activeJob);
  else m_jobs->cancelAll();
}

void MainWindow::showFrames(const FrameBuffer& frames) {
  m_result = frames;
  m_preview->setFrames(frames);
  m_preview->setCurrentFrame(currentFrame());
  m_scene->setBackgroundImage(frameToImage(frames, std::min(currentFrame(), frames.count - 1)));
  updateCompare();
}

void MainWindow::updateCompare() {
  const bool ab = m_inversion->compareAB() && !m_source.empty() && !m_result.empty();
  m_preview->setMode(ab ? PreviewMode::SplitAB : PreviewMode::Frame);
}

void MainWindow::showRender(RenderOutput&& out, const media::ResultMetadata& meta) {
  m_renderNoise = std::move(out.noise);
  m_resultMeta = meta;
  showFrames(out.frames);
}

void MainWindow::showEdit(EditOutput&& out, const media::ResultMetadata& meta) {
  m_resultMeta = meta;
  showFrames(out.frames);
}

void MainWindow::showNoiseField(NoiseFieldOutput&& out) {
  m_noise->setStats({out.stats.mean, out.stats.std, out.stats.lag1()});
  m_preview->setFrames(out.noise);
  m_preview->setMode(PreviewMode::NoiseChannel);
}

void MainWindow::showInversion(InvertOutput&& out) {
  m_inverted = true;
  m_inversion->setInverted(true);
  m_source = std::move(out.fittedSource);  // what A/B compares against
  m_preview->setSecondaryFrames(m_source);
  m_noise->setStats({out.stats.mean, out.stats.std, out.stats.lag1()});
}

void MainWindow::showVideoSource(MediaOutput&& out) {
  m_source = std::move(out.frames);
  m_sourcePath = QString::fromStdString(out.path);
  m_inversion->setSource(m_sourcePath, frameToImage(m_source, 0));
  m_preview->setSecondaryFrames(m_source);
  if (m_result.empty()) m_scene->setBackgroundImage(frameToImage(m_source, 0));
}

}  // namespace ns::ui
