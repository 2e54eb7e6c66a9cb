#pragma once
// MainWindow: the artist's window (DESIGN.md ui/). Canvas in the centre with the error banner
// above it; tool bar (select, box, trajectory, cut-out); docks: properties, noise (+ inspector),
// model, photo edit, preview; timeline at the bottom; status bar with job progress and Cancel (Esc).
//
// Data flow: gesture -> QUndoCommand -> Project (ProjectDocument) -> syncFromProject() redraws
// the canvas, docks and timeline. Model work goes through JobController (never torch here).
// Files: New/Open/Save/Save As/Recent/Export, drag and drop, autosave + crash recovery.
// The unsaved-changes and recovery prompts are settable functions so tests can answer them.
// UI thread only.

#include <QMainWindow>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>

#include "core/media/result_metadata.h"
#include "core/model/scene.h"
#include "core/util/frame_buffer.h"
#include "ui/canvas/canvas_tool.h"
#include "ui/jobs/job_results.h"
#include "ui/jobs/job_types.h"

class QAction;
class QActionGroup;
class QMenu;
class QUndoStack;

namespace ns::ui {

class CanvasScene;
class CanvasView;
class EmptyPlanHint;
class ErrorBanner;
struct ExportSettings;
class FarmJobsDock;
class FarmSubmitDialog;
class InversionDock;
class JobController;
class JobProgressBar;
class ModelDock;
class NoiseDock;
class ObjectSprites;
class PreviewWidget;
class ProjectDocument;
class PropertiesDock;
class RecentFiles;
class RecoveryStore;
class TimelineWidget;
struct FarmSubmitSettings;
struct ModelChoice;
struct InversionCache;

// Answer of the unsaved-changes prompt.
enum class SaveAnswer {
  Invalid = 0,
  Save,     // save, then go on
  Discard,  // go on without saving
  Cancel,   // stay
};

struct MainWindowOptions {
  QString recoveryDir;             // "" = AppDataLocation/recovery
  int autosaveIntervalMs = 60000;  // every minute
  bool offerRecovery = true;       // look for a leftover autosave at start-up
  bool loadModelAtStart = true;    // queue the built-in model load (off in tests)
  bool cudaAvailable = false;      // from initTorchRuntime() in main(); offers CUDA in the Model dock
};

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr, MainWindowOptions options = {});
  ~MainWindow() override;

  // Prompts (tests replace them). Default: QMessageBox.
  std::function<SaveAnswer(const QString& documentName)> unsavedPrompt;
  std::function<bool(const QString& originalPath, const QDateTime& savedAt)> recoveryPrompt;
  // File dialogs (tests replace them). Return "" for cancel.
  std::function<QString(const QString& title, const QString& filter)> openFileDialog;
  std::function<QString(const QString& title, const QString& filter)> saveFileDialog;

  // File verbs (return false when cancelled or failed; failures show in the banner).
  bool newDocument();
  bool openFile(const QString& path);  // any droppable kind (project, image, video, model pack)
  bool openProject(const QString& path);
  // File → Open Example: opens an untitled copy of the example project `path` (its relative paths
  // made absolute), so Save asks where to save it and the example stays as shipped.
  bool openExample(const QString& path);
  bool save();
  bool saveAs(const QString& path = {});
  // Starts exporting the last result (a PNG sequence into a folder, or .mp4) as a job; false when
  // there is nothing to export or no target was chosen.
  // With no path: the export dialog (format, frame range, size). A path: all frames at their size,
  // an .mp4 as MPEG-4, anything else as a PNG-sequence folder.
  bool exportFrames(const QString& dir = {});
  bool exportWith(const ExportSettings& settings);
  // Offers to recover a leftover autosave (called once at start-up); true if recovered.
  bool checkRecovery();
  bool autosaveNow();
  // Lists the packs and checkpoints of the user's model folder into the Model dock; the probing
  // runs off the UI thread and the dock is filled when it is done (modelListRefreshed).
  void refreshModelList();
  // File → Render on farm…: opens the (window-modal, non-blocking) dialog; on Submit the saved
  // project goes to `noisestudio-cli farm submit` and the job appears in the Farm jobs dock.
  FarmSubmitDialog* renderOnFarm();
  int farmSubmitsRunning() const { return m_farmSubmits; }

  ProjectDocument* document() const { return m_doc; }
  CanvasScene* canvasScene() const { return m_scene; }
  CanvasView* canvasView() const { return m_view; }
  EmptyPlanHint* emptyPlanHint() const { return m_hint; }
  QMenu* examplesMenu() const { return m_examplesMenu; }
  JobController* jobs() const { return m_jobs; }
  ErrorBanner* errorBanner() const { return m_banner; }
  TimelineWidget* timeline() const { return m_timeline; }
  PropertiesDock* propertiesDock() const { return m_properties; }
  NoiseDock* noiseDock() const { return m_noise; }
  ModelDock* modelDock() const { return m_model; }
  InversionDock* inversionDock() const { return m_inversion; }
  FarmJobsDock* farmJobsDock() const { return m_farmJobs; }
  PreviewWidget* preview() const { return m_preview; }
  JobProgressBar* progressBar() const { return m_progress; }
  QUndoStack* undoStack() const;
  RecoveryStore* recovery() const { return m_recovery.get(); }
  const FrameBuffer& sourceFrames() const { return m_source; }
  const FrameBuffer& resultFrames() const { return m_result; }
  int currentFrame() const;
  void setTool(CanvasTool tool);
  void showError(const QString& message);

  // Live preview after edits (debounced by JobController); off by default.
  void setLiveMode(bool on);
  bool liveMode() const { return m_live; }

 public slots:
  void render();          // full render of the project (engine verb when present)
  void inspectNoise();    // noise field + stats for the inspector
  void cancelJob();

 signals:
  void modelListRefreshed();
  void farmSubmitFinished(bool submitted);  // the farm submit process ended (refusals are in the banner)

 protected:
  void closeEvent(QCloseEvent* e) override;
  void dragEnterEvent(QDragEnterEvent* e) override;
  void dropEvent(QDropEvent* e) override;

 private:
  // main_window.cpp: layout and sync.
  void buildActions();
  void buildExamplesMenu(QMenu* file);
  void buildToolsMenu(const QList<QAction*>& jobActions);
  void openMediaDialog();
  void buildDocks();
  void syncFromProject();
  void syncTitle();
  void onCurrentFrameChanged(int frame);
  // main_window_edit.cpp: gestures -> commands.
  void connectCanvas();
  void onBoxDrawn(const NormBox& box, bool cutOut);
  void onBoxEdited(const QString& id, const NormBox& box, bool finished);
  void onCentreClicked(const QString& id, QPointF centre);
  void onPropertiesEdited(const QString& field);
  void onNoiseEdited(const QString& field);
  void deleteSelected();
  void afterEdit();
  // main_window_mask.cpp: the mask brush (strokes, invert, clear, feather -> undo steps).
  void connectMask();
  void onMaskStroke(const QVector<QPointF>& normPoints);
  void invertMask();
  void clearMask();
  void syncMaskOverlay();
  // main_window_plan.cpp: the Plan menu (model-painted background/objects, re-rolls); the
  // objects' pictures on the canvas; an image dropped on an object becomes its picture.
  void buildPlanMenu();
  void syncObjectSprites();
  bool dropImageOnObject(const QString& path, QPoint windowPos);
  // main_window_files.cpp
  bool maybeSave();
  bool loadImageSource(const QString& path);
  // A dropped PNG/video NoiseStudio made: reopens its plan (true; false when the user kept the
  // current document), or nullopt when the file carries no readable project; `note` then says
  // what was wrong with damaged metadata.
  std::optional<bool> reopenResultPlan(const QString& path, QString& note);
  bool loadVideoSource(const QString& path);
  void rebuildRecentMenu();
  // main_window_jobs.cpp
  void connectJobs();
  void loadModel(const ModelChoice& choice);
  // The one place each job's typed result is shown (the handler its submit names).
  void showRender(RenderOutput&& out, const media::ResultMetadata& meta);
  void showNoiseField(NoiseFieldOutput&& out);
  void showInversion(InvertOutput&& out);
  void showEdit(EditOutput&& out, const media::ResultMetadata& meta);
  void showVideoSource(MediaOutput&& out);
  void runInvert();
  void runEdit();
  void requestLivePreview();  // debounced few-step render of the current frame (Live mode)
  void showFrames(const FrameBuffer& frames);
  void updateCompare();
  // main_window_farm.cpp
  void buildFarmDock();
  void submitToFarm(const QString& projectPath, const FarmSubmitSettings& settings);

  MainWindowOptions m_options;
  ProjectDocument* m_doc = nullptr;
  CanvasScene* m_scene = nullptr;
  CanvasView* m_view = nullptr;
  EmptyPlanHint* m_hint = nullptr;
  ErrorBanner* m_banner = nullptr;
  TimelineWidget* m_timeline = nullptr;
  PropertiesDock* m_properties = nullptr;
  NoiseDock* m_noise = nullptr;
  ModelDock* m_model = nullptr;
  InversionDock* m_inversion = nullptr;
  FarmJobsDock* m_farmJobs = nullptr;
  int m_farmSubmits = 0;  // submit processes under way
  PreviewWidget* m_preview = nullptr;
  JobProgressBar* m_progress = nullptr;
  JobController* m_jobs = nullptr;
  ObjectSprites* m_sprites = nullptr;
  RecentFiles* m_recent = nullptr;
  std::unique_ptr<RecoveryStore> m_recovery;
  QActionGroup* m_toolGroup = nullptr;
  QMenu* m_recentMenu = nullptr;
  QMenu* m_examplesMenu = nullptr;
  QAction* m_cancelAction = nullptr;
  QAction* m_liveAction = nullptr;
  QTimer m_autosave;
  FrameBuffer m_source;  // the dropped photo / video (Image)
  FrameBuffer m_result;  // the last render
  // How m_result was made (exports carry it: core/media/result_metadata.h).
  media::ResultMetadata m_resultMeta;
  RenderedNoise m_renderNoise;  // the noise m_result started from: the noise inspector shows it
  QString m_sourcePath;
  quint64 m_dragSerial = 0;
  RequestId m_activeJob = 0;
  RequestId m_modelRequest = 0;  // the latest model load: its failure goes to the model dock too
  std::unique_ptr<ModelChoice> m_requestedChoice;  // what m_modelRequest loads
  std::unique_ptr<ModelChoice> m_loadedChoice;     // what the model thread holds (null: nothing yet)
  quint64 m_listSerial = 0;                        // the newest model listing; older ones are dropped
  std::shared_ptr<InversionCache> m_inversionCache;  // opaque: only model-thread jobs look inside
  bool m_live = false;
  bool m_inverted = false;
  bool m_syncing = false;
};

}  // namespace ns::ui
