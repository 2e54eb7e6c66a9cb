#include "ui/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QDockWidget>
#include <QFileDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QToolBar>
#include <QUndoStack>
#include <QVBoxLayout>

#include "core/media/media_kind.h"
#include "ui/canvas/canvas_scene.h"
#include "ui/canvas/canvas_view.h"
#include "ui/canvas/empty_plan_hint.h"
#include "ui/docks/farm_jobs_dock.h"
#include "ui/docks/inversion_dock.h"
#include "ui/docks/model_dock.h"
#include "ui/docks/noise_dock.h"
#include "ui/docks/properties_dock.h"
#include "ui/files/recent_files.h"
#include "ui/files/recovery_store.h"
#include "ui/frame_convert.h"
#include "ui/jobs/job_controller.h"
#include "ui/preview/preview_widget.h"
#include "ui/app_icon.h"
#include "ui/project_document.h"
#include "ui/widgets/error_banner.h"
#include "ui/widgets/job_progress_bar.h"
#include "ui/widgets/timeline_widget.h"

namespace ns::ui {

MainWindow::MainWindow(QWidget* parent, MainWindowOptions options)
    : QMainWindow(parent), m_options(std::move(options)) {
  setWindowIcon(appIcon());
  setAcceptDrops(true);
  m_doc = new ProjectDocument(this);
  m_jobs = new JobController(this);
  m_recent = new RecentFiles(this);
  m_recovery = std::make_unique<RecoveryStore>(m_options.recoveryDir);

  // Centre: the error banner above the canvas.
  auto* centre = new QWidget(this);
  auto* column = new QVBoxLayout(centre);
  column->setContentsMargins(0, 0, 0, 0);
  column->setSpacing(2);
  m_banner = new ErrorBanner(centre);
  m_scene = new CanvasScene(this);
  m_view = new CanvasView(m_scene, centre);
  column->addWidget(m_banner);
  column->addWidget(m_view, 1);
  setCentralWidget(centre);

  m_progress = new JobProgressBar(this);
  statusBar()->addPermanentWidget(m_progress);

  buildDocks();
  buildActions();
  // The empty-canvas hint: how to start (box, photo, example, prompt); hides once there is content.
  m_hint = new EmptyPlanHint(m_scene, m_view->viewport(), m_examplesMenu);
  connect(m_hint, &EmptyPlanHint::drawBoxRequested, this, [this] { setTool(CanvasTool::Box); });
  connect(m_hint, &EmptyPlanHint::openMediaRequested, this, &MainWindow::openMediaDialog);
  connectCanvas();
  connectMask();
  buildPlanMenu();
  connectJobs();

  unsavedPrompt = [this](const QString& name) {
    const auto b = QMessageBox::question(this, tr("Unsaved changes"), tr("Save the changes to %1?").arg(name),
                                         QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    return b == QMessageBox::Save ? SaveAnswer::Save : b == QMessageBox::Discard ? SaveAnswer::Discard : SaveAnswer::Cancel;
  };
  recoveryPrompt = [this](const QString& original, const QDateTime& when) {
    const QString what = original.isEmpty() ? tr("an unsaved project") : original;
    return QMessageBox::question(this, tr("Recover work"),
                                 tr("NoiseStudio did not close cleanly. Recover %1 (autosaved %2)?")
                                     .arg(what, when.toLocalTime().toString()),
                                 QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes) == QMessageBox::Yes;
  };
  openFileDialog = [this](const QString& title, const QString& filter) {
    return QFileDialog::getOpenFileName(this, title, {}, filter);
  };
  saveFileDialog = [this](const QString& title, const QString& filter) {
    return QFileDialog::getSaveFileName(this, title, {}, filter);
  };

  connect(m_doc, &ProjectDocument::changed, this, &MainWindow::syncFromProject);
  connect(m_doc, &ProjectDocument::modifiedChanged, this, &MainWindow::syncTitle);
  connect(m_doc, &ProjectDocument::filePathChanged, this, &MainWindow::syncTitle);

  m_autosave.setInterval(m_options.autosaveIntervalMs);
  connect(&m_autosave, &QTimer::timeout, this, &MainWindow::autosaveNow);
  m_autosave.start();

  syncFromProject();
  syncTitle();
  resize(1400, 900);
  if (m_options.offerRecovery) QTimer::singleShot(0, this, &MainWindow::checkRecovery);
  if (m_options.loadModelAtStart) QTimer::singleShot(0, this, [this] { loadModel(m_model->choice()); });
}

MainWindow::~MainWindow() {
  // Stop the model thread before the widgets its results would go to disappear.
  delete m_jobs;
  m_jobs = nullptr;
  // Children die after this body: the scene deselecting its items while it is destroyed must not
  // call back into a half-destroyed window.
  disconnect(m_scene, nullptr, this, nullptr);
  disconnect(m_doc, nullptr, this, nullptr);
}

QUndoStack* MainWindow::undoStack() const { return m_doc->undoStack(); }

int MainWindow::currentFrame() const { return m_timeline->currentFrame(); }

void MainWindow::buildDocks() {
  m_properties = new PropertiesDock(this);
  m_noise = new NoiseDock(this);
  m_model = new ModelDock(this);
  m_inversion = new InversionDock(this);
  addDockWidget(Qt::RightDockWidgetArea, m_properties);
  addDockWidget(Qt::RightDockWidgetArea, m_noise);
  addDockWidget(Qt::LeftDockWidgetArea, m_model);
  addDockWidget(Qt::LeftDockWidgetArea, m_inversion);
  tabifyDockWidget(m_properties, m_noise);
  buildFarmDock();
  m_properties->raise();

  auto* previewDock = new QDockWidget(tr("Preview"), this);
  previewDock->setObjectName(QStringLiteral("previewDock"));
  m_preview = new PreviewWidget(previewDock);
  m_preview->setMinimumSize(240, 240);
  previewDock->setWidget(m_preview);
  addDockWidget(Qt::LeftDockWidgetArea, previewDock);
  connect(m_preview, &PreviewWidget::failed, this, [this](const QString& why) { statusBar()->showMessage(why, 8000); });

  auto* timelineDock = new QDockWidget(tr("Timeline"), this);
  timelineDock->setObjectName(QStringLiteral("timelineDock"));
  timelineDock->setFeatures(QDockWidget::DockWidgetMovable);
  m_timeline = new TimelineWidget(timelineDock);
  timelineDock->setWidget(m_timeline);
  addDockWidget(Qt::BottomDockWidgetArea, timelineDock);
  connect(m_timeline, &TimelineWidget::currentFrameChanged, this, &MainWindow::onCurrentFrameChanged);
}

void MainWindow::buildActions() {
  // File
  QMenu* file = menuBar()->addMenu(tr("&File"));
  file->addAction(tr("&New"), QKeySequence::New, this, [this] { newDocument(); });
  file->addAction(tr("&Open…"), QKeySequence::Open, this, [this] {
    const QString p = openFileDialog(tr("Open"), tr("Projects and media (*.nsproj %1);;All files (*)").arg(QString::fromStdString(media::mediaDialogPatterns())));
    if (!p.isEmpty()) openFile(p);
  });
  m_recentMenu = file->addMenu(tr("Open &Recent"));
  connect(m_recent, &RecentFiles::changed, this, &MainWindow::rebuildRecentMenu);
  rebuildRecentMenu();
  buildExamplesMenu(file);
  file->addAction(tr("&Save"), QKeySequence::Save, this, [this] { save(); });
  file->addAction(tr("Save &As…"), QKeySequence::SaveAs, this, [this] { saveAs(); });
  file->addAction(tr("&Export…"), QKeySequence(tr("Ctrl+E")), this, [this] { exportFrames(); });
  file->addAction(tr("Render on &farm…"), this, [this] { renderOnFarm(); })->setObjectName(QStringLiteral("renderOnFarmAction"));
  file->addAction(m_farmJobs->toggleViewAction());  // "Farm jobs": the dock hides while it has no job
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  // Edit
  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  QAction* undo = m_doc->undoStack()->createUndoAction(this, tr("&Undo"));
  undo->setShortcut(QKeySequence(tr("Ctrl+Z")));
  QAction* redo = m_doc->undoStack()->createRedoAction(this, tr("&Redo"));
  redo->setShortcuts({QKeySequence(tr("Ctrl+Shift+Z")), QKeySequence(tr("Ctrl+Y"))});
  edit->addAction(undo);
  edit->addAction(redo);
  edit->addSeparator();
  QAction* del = edit->addAction(tr("&Delete object"), this, &MainWindow::deleteSelected);
  del->setShortcuts({QKeySequence::Delete, QKeySequence(Qt::Key_Backspace)});
  del->setShortcutContext(Qt::WidgetWithChildrenShortcut);
  m_view->addAction(del);

  // Tools
  QToolBar* tools = addToolBar(tr("Tools"));
  tools->setObjectName(QStringLiteral("toolsToolBar"));
  m_toolGroup = new QActionGroup(this);
  struct ToolDef {
    CanvasTool tool;
    QString name, key, tip;
  };
  const ToolDef defs[] = {
      {CanvasTool::Select, tr("Select"), QStringLiteral("V"), tr("Select, move and resize boxes; edits set a keyframe at the current frame")},
      {CanvasTool::Box, tr("Box"), QStringLiteral("B"), tr("Drag to draw a new object box")},
      {CanvasTool::Trajectory, tr("Keyframe"), QStringLiteral("T"), tr("Click to move the selected object there at the current frame")},
      {CanvasTool::CutOut, tr("Cut-out"), QStringLiteral("C"), tr("Drag over the source photo to cut out an object")},
      {CanvasTool::MaskBrush, tr("Mask brush"), QStringLiteral("M"), tr("Paint where a photo edit applies (Photo edit dock: size, erase, feather)")},
  };
  for (const ToolDef& d : defs) {
    QAction* a = tools->addAction(d.name);
    a->setCheckable(true);
    a->setShortcut(QKeySequence(d.key));
    a->setToolTip(QStringLiteral("%1 (%2): %3").arg(d.name, d.key, d.tip));
    a->setData(int(d.tool));
    m_toolGroup->addAction(a);
    if (d.tool == CanvasTool::Select) a->setChecked(true);
  }
  connect(m_toolGroup, &QActionGroup::triggered, this, [this](QAction* a) { m_scene->setTool(CanvasTool(a->data().toInt())); });
  tools->addSeparator();
  QAction* renderAction = tools->addAction(tr("Render"), this, &MainWindow::render);
  renderAction->setShortcut(QKeySequence(tr("Ctrl+R")));
  renderAction->setToolTip(tr("Render the project (Ctrl+R)"));
  m_liveAction = tools->addAction(tr("Live"));
  m_liveAction->setCheckable(true);
  m_liveAction->setToolTip(tr("Live preview: re-render a few steps whenever an edit settles (Ctrl+L)"));
  connect(m_liveAction, &QAction::toggled, this, &MainWindow::setLiveMode);
  m_liveAction->setShortcut(QKeySequence(tr("Ctrl+L")));
  QAction* noiseAction = tools->addAction(tr("Noise"), this, &MainWindow::inspectNoise);
  noiseAction->setToolTip(tr("Compute and inspect the project's starting noise (Ctrl+Shift+N)"));
  noiseAction->setShortcut(QKeySequence(tr("Ctrl+Shift+N")));

  m_cancelAction = new QAction(tr("Cancel job"), this);
  m_cancelAction->setShortcut(QKeySequence(Qt::Key_Escape));
  m_cancelAction->setShortcutContext(Qt::WindowShortcut);
  m_cancelAction->setToolTip(tr("Cancel the running job (Esc)"));
  connect(m_cancelAction, &QAction::triggered, this, &MainWindow::cancelJob);
  addAction(m_cancelAction);
  buildToolsMenu({renderAction, m_liveAction, noiseAction, m_cancelAction});

  QMenu* view = menuBar()->addMenu(tr("&View"));
  view->addAction(tr("Fit canvas"), QKeySequence(tr("Ctrl+0")), m_view, &CanvasView::fitCanvas);
  QAction* play = view->addAction(tr("Play / pause"), this, [this] { m_timeline->isPlaying() ? m_timeline->pause() : m_timeline->play(); });
  play->setShortcut(QKeySequence(Qt::Key_Space));
  play->setShortcutContext(Qt::WidgetWithChildrenShortcut);
  m_view->addAction(play);
}

void MainWindow::buildToolsMenu(const QList<QAction*>& jobActions) {
  // Every tool and job action with its shortcut in one menu, so the keys can be learnt there
  // (the tool bar shows them only in tooltips).
  QMenu* menu = menuBar()->addMenu(tr("&Tools"));
  menu->setObjectName(QStringLiteral("toolsMenu"));
  menu->addActions(m_toolGroup->actions());
  menu->addSeparator();
  menu->addActions(jobActions);
}

void MainWindow::setTool(CanvasTool tool) {
  for (QAction* a : m_toolGroup->actions())
    if (CanvasTool(a->data().toInt()) == tool) a->setChecked(true);
  m_scene->setTool(tool);
}

void MainWindow::showError(const QString& message) { m_banner->showError(message); }

void MainWindow::syncFromProject() {
  m_syncing = true;
  const Project& p = m_doc->project();
  m_scene->setCanvasSize(QSize(p.width, p.height));
  m_timeline->setFrameCount(p.frames);
  m_timeline->setFps(int(std::lround(p.fps)));
  m_scene->setObjects(m_doc->canvasObjects(), currentFrame(), p.frames);
  syncObjectSprites();

  RenderValues rv;
  rv.prompt = QString::fromStdString(p.prompt);
  rv.negativePrompt = QString::fromStdString(p.negativePrompt);
  rv.seed = p.seed;
  rv.steps = p.render.steps;
  rv.guidance = p.render.cfg;
  rv.noiseRatio = p.render.noiseRatio;
  rv.inversionSkip = p.inversion.skip;
  rv.method = p.render.method;
  rv.width = p.width;
  rv.height = p.height;
  m_properties->setValues(rv);

  NoiseValues nv;
  nv.recipe = p.noise.kind;
  nv.degradation = p.noise.degradation;
  nv.window = p.noise.window;
  nv.stride = p.noise.stride;
  m_noise->setValues(nv);

  // Selected object: keyframes on the timeline, fields in the Object group.
  const QString sel = m_scene->selectedId();
  const ProjectObject* o = sel.isEmpty() ? nullptr : p.findObject(sel.toStdString());
  QSet<int> keys;
  ObjectValues ov;
  if (o) {
    for (const Keyframe& k : o->trajectory.keys()) keys.insert(k.frame);
    ov.prompt = QString::fromStdString(o->prompt);
    ov.shape = QString::fromStdString(o->source.shape);
    ov.colour = QString::fromStdString(o->source.colour);
    ov.builtinShape = o->source.kind == SourceKind::BuiltinShape;
  }
  m_timeline->setKeyframes(keys);
  m_properties->setObject(o != nullptr, ov);
  syncMaskOverlay();
  m_syncing = false;
}

void MainWindow::syncTitle() {
  // "[*]" is where Qt shows the modified mark (" *" here); without it setWindowModified logs a warning.
  setWindowTitle(tr("%1[*] — NoiseStudio").arg(m_doc->displayName()));
  setWindowModified(m_doc->isModified());
}

void MainWindow::onCurrentFrameChanged(int frame) {
  m_scene->setObjects(m_doc->canvasObjects(), frame, m_doc->project().frames);
  m_preview->setCurrentFrame(frame);
  syncMaskOverlay();  // per-frame strokes make each frame's mask its own
  // The canvas shows the latest render (or the source photo) under the boxes.
  if (!m_result.empty()) m_scene->setBackgroundImage(frameToImage(m_result, std::min(frame, m_result.count - 1)));
  else if (!m_source.empty()) m_scene->setBackgroundImage(frameToImage(m_source, std::min(frame, m_source.count - 1)));
}

}  // namespace ns::ui
