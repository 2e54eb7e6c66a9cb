#pragma once
// ModelDock: which model the model thread loads: the built-in model, a model-pack folder or a
// Stable Diffusion checkpoint (.safetensors / .ckpt / .pt file or diffusers folder), on CPU or
// CUDA (CUDA offered only when the runtime reports it). The list offers what is in the user's
// model folder with family and size (ModelListEntry, probed off the UI thread); an entry that
// failed to probe shows its error and cannot be loaded. "Load" emits loadRequested; the actual
// loading is a JobController job; the dock shows the model that is loaded now (setCurrent).
// The Motion row adds a motion module (none, the built-in one, or a file the user chose; files
// chosen are remembered in QSettings, newest first): with one the model is loaded as a video
// model that denoises a clip's frames jointly.
// UI thread only.

#include <QDockWidget>
#include <QList>
#include <QStringList>

#include "ui/jobs/model_choice.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;

namespace ns::ui {

class ModelDock : public QDockWidget {
  Q_OBJECT
 public:
  explicit ModelDock(QWidget* parent = nullptr);

  void setCudaAvailable(bool available);
  // Packs found in the user's model folder (absolute folder paths); picking one fills the folder.
  void setInstalledPacks(const QStringList& packDirs);
  // Packs and checkpoints of the user's model folder; picking a loadable one fills the path, one
  // that failed to probe shows its error in the status line and leaves the choice alone.
  void setInstalledModels(const QList<ModelListEntry>& entries);
  QComboBox* installedPacks() const { return m_installed; }
  QComboBox* installedModels() const { return m_installed; }
  // The model the model thread holds now (its path and how it describes itself); "" for none.
  void setCurrent(const QString& path, const QString& description);
  QString currentPath() const { return m_currentPath; }
  QString currentText() const;
  void setChoice(const ModelChoice& c);
  ModelChoice choice() const;
  void setStatus(const QString& text);
  QString status() const;
  QPushButton* loadButton() const { return m_load; }
  QComboBox* motionModules() const { return m_motion; }
  // Offers `path` in the Motion row (first among the files), selects it and remembers it.
  void addMotionModuleFile(const QString& path);

 signals:
  void loadRequested(ns::ui::ModelChoice choice);

 private:
  QRadioButton* m_builtin = nullptr;
  QRadioButton* m_pack = nullptr;
  QComboBox* m_installed = nullptr;
  QLineEdit* m_packDir = nullptr;
  QPushButton* m_browse = nullptr;
  QComboBox* m_device = nullptr;
  QPushButton* m_load = nullptr;
  QLabel* m_status = nullptr;
  QLabel* m_current = nullptr;
  QPushButton* m_browseFile = nullptr;
  QComboBox* m_motion = nullptr;
  QPushButton* m_motionFile = nullptr;
  QString m_currentPath;
};

}  // namespace ns::ui
