// MainWindow: files — New/Open/Save/Save As/Recent/Export, drag and drop, autosave and recovery,
// the unsaved-changes prompt.
#include <QCloseEvent>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMimeData>
#include <QStatusBar>
#include <QUndoStack>

#include <algorithm>

#include "core/media/image_frames.h"
#include "core/media/media_kind.h"
#include "core/media/media_limits.h"
#include "ui/canvas/canvas_scene.h"
#include "ui/docks/inversion_dock.h"
#include "ui/docks/model_dock.h"
#include "ui/export/export_dialog.h"
#include "ui/files/drop_classifier.h"
#include "ui/files/example_projects.h"
#include "ui/files/recent_files.h"
#include "ui/files/recovery_store.h"
#include "ui/frame_convert.h"
#include "ui/jobs/job_controller.h"
#include "ui/jobs/media_jobs.h"
#include "ui/main_window.h"
#include "ui/preview/preview_widget.h"
#include "ui/project_document.h"

namespace ns::ui {

namespace {
const char* kProjectFilter = "NoiseStudio projects (*.nsproj)";
}

void MainWindow::openMediaDialog() {
  // core/media's one extension list, as the drop and the CLI use it.
  const QString patterns = QString::fromStdString(media::mediaDialogPatterns());
  const QString p = openFileDialog(tr("Open a photo or clip"), tr("Photos and clips (%1);;All files (*)").arg(patterns));
  if (!p.isEmpty()) openFile(p);
}

void MainWindow::buildExamplesMenu(QMenu* file) {
  m_examplesMenu = file->addMenu(tr("Open E&xample"));
  m_examplesMenu->setObjectName(QStringLiteral("examplesMenu"));
  m_examplesMenu->setToolTipsVisible(true);  // each example's tooltip says what it shows
  const QString dir = exampleProjectsDir();
  for (const ExampleProject& e : listExampleProjects(dir)) {
    QAction* a = m_examplesMenu->addAction(e.title, this, [this, path = e.path] { openExample(path); });
    a->setToolTip(e.description);
    a->setData(e.path);
    a->setEnabled(e.readable);
  }
  if (m_examplesMenu->isEmpty()) {
    QAction* none = m_examplesMenu->addAction(dir.isEmpty() ? tr("(no examples folder found)") : tr("(no examples in %1)").arg(dir));
    none->setEnabled(false);
  }
}

bool MainWindow::openExample(const QString& path) {
  if (!maybeSave()) return false;
  auto project = Project::open(QDir::toNativeSeparators(path).toStdString());
  if (!project) {
    showError(QString::fromStdString(project.error().message));
    return false;
  }
  // An untitled copy: paths that were relative to the examples folder become absolute (the copy
  // has no folder yet), and without a file path Save asks where — the example stays as shipped.
  Project copy = std::move(project).value();
  if (!copy.background.path.empty()) copy.background.path = copy.resolvePath(copy.background.path);
  for (ProjectObject& o : copy.objects)
    if (!o.source.path.empty()) o.source.path = copy.resolvePath(o.source.path);
  copy.filePath.clear();
  m_doc->reset(std::move(copy));
  m_doc->setUntitledName(tr("Copy of %1").arg(QFileInfo(path).fileName()));
  syncTitle();
  m_result = {};
  m_resultMeta = {};
  m_scene->setBackgroundImage(m_source.empty() ? QImage() : frameToImage(m_source, 0));
  statusBar()->showMessage(tr("Opened a copy of the example %1: Save asks where to keep it").arg(QFileInfo(path).fileName()), 6000);
  return true;
}

bool MainWindow::maybeSave() {
  if (!m_doc->isModified()) return true;
  switch (unsavedPrompt(m_doc->displayName())) {
    case SaveAnswer::Save: return save();
    case SaveAnswer::Discard: return true;
    default: return false;
  }
}

bool MainWindow::newDocument() {
  if (!maybeSave()) return false;
  m_doc->reset(Project::untitled());
  m_result = {};
  m_scene->setBackgroundImage(m_source.empty() ? QImage() : frameToImage(m_source, 0));
  return true;
}

bool MainWindow::openFile(const QString& path) {
  switch (classifyDrop(path)) {
    case DropKind::Project: return openProject(path);
    case DropKind::Image:
    case DropKind::Video: {
      // A result NoiseStudio made reopens its plan; anything else (or damaged metadata, with a
      // note) is a source picture or clip as before.
      QString note;
      if (auto reopened = reopenResultPlan(path, note)) return *reopened;
      const bool loaded = classifyDrop(path) == DropKind::Image ? loadImageSource(path) : loadVideoSource(path);
      if (loaded && !note.isEmpty()) showError(note);
      return loaded;
    }
    case DropKind::ModelPack:
    case DropKind::SdCheckpoint: {
      // Loads as the current model (on the model thread, with progress); a failure shows in the
      // banner and the model dock, and the model loaded before stays.
      ModelChoice c = m_model->choice();
      c.source = classifyDrop(path) == DropKind::ModelPack ? ModelSource::Pack : ModelSource::Checkpoint;
      c.path = path;
      m_model->setChoice(c);
      loadModel(c);
      return true;
    }
    default:
      showError(tr("%1: not a project, image, video, model-pack folder or Stable Diffusion checkpoint")
                    .arg(QDir::toNativeSeparators(path)));
      return false;
  }
}

bool MainWindow::openProject(const QString& path) {
  if (!maybeSave()) return false;
  // Load into a fresh Project first: a bad file leaves the open document untouched.
  if (auto r = m_doc->load(path); !r) {
    showError(QString::fromStdString(r.error().message));
    return false;
  }
  m_result = {};
  m_recent->add(path);
  statusBar()->showMessage(tr("Opened %1").arg(path), 4000);
  return true;
}

std::optional<bool> MainWindow::reopenResultPlan(const QString& path, QString& note) {
  auto meta = media::readResultMetadata(QDir::toNativeSeparators(path).toStdString());
  if (!meta) return std::nullopt;  // unreadable: the image/video loader says why
  if (!meta->notes.empty())
    note = tr("Opened as a plain picture: its NoiseStudio metadata is damaged (%1)")
               .arg(QString::fromStdString(meta->notes.front()));
  if (!meta->metadata || meta->metadata->kind != media::ResultKind::Project) return std::nullopt;
  auto project = Project::fromJsonText(meta->metadata->json, {}, path.toStdString());
  if (!project) {
    note = tr("Opened as a plain picture: %1").arg(QString::fromStdString(project.error().message));
    return std::nullopt;
  }
  if (!maybeSave()) return false;
  // An untitled document (saving asks where), marked unsaved; the current one is replaced only
  // now that the whole plan has been read.
  m_doc->reset(std::move(project).value(), /*modified=*/true);
  m_result = {};
  m_resultMeta = {};
  m_scene->setBackgroundImage(m_source.empty() ? QImage() : frameToImage(m_source, 0));
  statusBar()->showMessage(tr("Reopened the plan %1 was made from").arg(QFileInfo(path).fileName()), 6000);
  return true;
}

bool MainWindow::save() {
  // An example opened with File → Open (not Open Example) is not overwritten either.
  if (m_doc->filePath().isEmpty() || isInExamplesDir(m_doc->filePath())) return saveAs();
  return saveAs(m_doc->filePath());
}

bool MainWindow::saveAs(const QString& given) {
  QString path = given;
  if (path.isEmpty()) path = saveFileDialog(tr("Save project"), tr(kProjectFilter));
  if (path.isEmpty()) return false;
  if (QFileInfo(path).suffix().isEmpty()) path += QStringLiteral(".nsproj");
  if (auto r = m_doc->saveAs(path); !r) {
    showError(QString::fromStdString(r.error().message));
    return false;
  }
  m_recovery->clear();  // the file on disk is now the newest state
  m_recent->add(path);
  statusBar()->showMessage(tr("Saved %1").arg(path), 4000);
  return true;
}

bool MainWindow::exportFrames(const QString& given) {
  if (m_result.empty()) {
    showError(tr("Nothing to export yet: render the project first."));
    return false;
  }
  const QString stem = m_doc->filePath().isEmpty() ? QStringLiteral("frame") : QFileInfo(m_doc->filePath()).completeBaseName();
  if (given.isEmpty()) {
    // The export dialog: format, frame range, size, where.
    const QString dir = m_doc->filePath().isEmpty() ? QDir::homePath() : QFileInfo(m_doc->filePath()).absolutePath();
    ExportDialog dialog(m_result.count, m_result.width, m_result.height, dir, stem, this);
    if (dialog.exec() != QDialog::Accepted) return false;
    return exportWith(dialog.settings());
  }
  ExportSettings s;
  s.path = given;
  s.format = QFileInfo(given).suffix().toLower() == QLatin1String("mp4") ? ExportFormat::Mp4Mpeg4 : ExportFormat::PngSequence;
  return exportWith(s);
}

bool MainWindow::exportWith(const ExportSettings& s) {
  auto frames = framesForExport(m_result, s);
  if (!frames.ok()) {
    showError(QString::fromStdString(frames.error().message));
    return false;
  }
  // Jobs: progress, cancel, the UI stays responsive; the result's summary goes to the status bar
  // and a failure to the error banner. Both writes are atomic.
  if (s.format == ExportFormat::PngSequence) {
    const QString stem = m_doc->filePath().isEmpty() ? QStringLiteral("frame") : QFileInfo(m_doc->filePath()).completeBaseName();
    m_jobs->submit(JobKind::Custom, writePngSequenceJob(std::move(*frames), s.path, stem, m_resultMeta), ModelNeed::None);
  } else {
    m_jobs->submit(JobKind::Custom,
                   writeVideoJob(std::move(*frames), s.path, m_doc->project().fps, m_resultMeta, exportCodec(s.format)),
                   ModelNeed::None);
  }
  return true;
}

bool MainWindow::autosaveNow() {
  if (!m_doc->isModified()) return false;
  if (auto r = m_recovery->write(m_doc->jsonText(), m_doc->filePath()); !r) {
    showError(QString::fromStdString(r.error().message));
    return false;
  }
  return true;
}

bool MainWindow::checkRecovery() {
  if (!m_recovery->exists()) return false;
  auto entry = m_recovery->read();
  if (!entry) {
    showError(QString::fromStdString(entry.error().message));
    return false;
  }
  if (!recoveryPrompt(entry->originalPath, entry->savedAt)) {
    m_recovery->clear();
    return false;
  }
  auto project = Project::fromJsonText(entry->projectJson, {}, m_recovery->projectFile().toStdString());
  if (!project) {
    showError(tr("The autosaved project could not be read: %1").arg(QString::fromStdString(project.error().message)));
    return false;
  }
  project->filePath = entry->originalPath.toStdString();
  m_doc->reset(std::move(project).value(), /*modified=*/true);
  statusBar()->showMessage(tr("Recovered the autosaved project"), 6000);
  return true;
}

void MainWindow::closeEvent(QCloseEvent* e) {
  if (!maybeSave()) {
    e->ignore();
    return;
  }
  m_jobs->cancelAll();
  m_recovery->clear();  // a clean exit leaves nothing to recover
  e->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e) {
  if (!e->mimeData()->hasUrls()) return;
  for (const QUrl& u : e->mimeData()->urls()) {
    const DropKind k = classifyDrop(u.toLocalFile());
    if (k != DropKind::Unknown && k != DropKind::Invalid) {
      e->acceptProposedAction();
      return;
    }
  }
}

void MainWindow::dropEvent(QDropEvent* e) {
  if (!e->mimeData()->hasUrls()) return;
  // One picture dropped on an object's box becomes that object's picture (main_window_plan.cpp).
  const QList<QUrl> urls = e->mimeData()->urls();
  if (urls.size() == 1 && dropImageOnObject(urls.front().toLocalFile(), e->position().toPoint())) {
    e->acceptProposedAction();
    return;
  }
  bool any = false;
  for (const QUrl& u : e->mimeData()->urls()) any |= openFile(u.toLocalFile());
  if (any) e->acceptProposedAction();
}

bool MainWindow::loadImageSource(const QString& path) {
  // Through core/media's door, as a cut-out of this photo and the CLI read it: the header is
  // probed first (empty, truncated and absurdly large files are refused with the CLI's words,
  // before anything is allocated), then OpenCV decodes it, so the picture shown is the one the
  // cut-out cuts. Nothing changes (source, document) unless the whole image reads.
  auto frames = media::readImageFrames(QDir::toNativeSeparators(path).toStdString(), media::defaultMediaLimits().image);
  if (!frames) {
    showError(QString::fromStdString(frames.error().message));
    return false;
  }
  m_source = std::move(frames).value();
  const QImage image = frameToImage(m_source, 0);
  m_sourcePath = QFileInfo(path).absoluteFilePath();
  m_inverted = false;
  m_inversion->setSource(m_sourcePath, image);
  m_preview->setSecondaryFrames(m_source);
  if (m_result.empty()) m_scene->setBackgroundImage(image);
  updateCompare();
  statusBar()->showMessage(tr("Source: %1").arg(path), 4000);
  return true;
}

bool MainWindow::loadVideoSource(const QString& path) {
  // Decoded on the model thread through core/media's one door; the source changes only when the
  // clip arrives (showVideoSource), so a corrupt video fails into the banner and leaves the
  // current source as it was.
  m_jobs->submit<MediaOutput>(JobKind::Custom, loadMediaJob(QFileInfo(path).absoluteFilePath()),
                              [this](MediaOutput&& out) { showVideoSource(std::move(out)); }, ModelNeed::None);
  statusBar()->showMessage(tr("Reading %1…").arg(path));
  return true;
}

void MainWindow::rebuildRecentMenu() {
  m_recentMenu->clear();
  const QStringList files = m_recent->list();
  for (const QString& f : files) m_recentMenu->addAction(QFileInfo(f).fileName(), this, [this, f] { openFile(f); })->setToolTip(f);
  m_recentMenu->setEnabled(!files.isEmpty());
}

}  // namespace ns::ui
