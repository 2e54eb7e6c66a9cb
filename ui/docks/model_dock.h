#pragma once
// ModelDock: which model the model thread loads: the built-in model or a model-pack folder, on
// CPU or CUDA (CUDA offered only when the runtime reports it). "Load" emits loadRequested; the
// actual loading is a JobController job. UI thread only.

#include <QDockWidget>
#include <QStringList>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;

namespace ns::ui {

// Which model to load. Runtime choice, stored in QSettings by name.
enum class ModelSource {
  Invalid = 0,
  Builtin,  // resources/models/builtin (findBuiltinModelDir)
  Pack,     // a model-pack folder with model.json
};

struct ModelChoice {
  ModelSource source = ModelSource::Builtin;
  QString packDir;              // for Pack
  QString device = "cpu";       // "cpu" or "cuda"
};

class ModelDock : public QDockWidget {
  Q_OBJECT
 public:
  explicit ModelDock(QWidget* parent = nullptr);

  void setCudaAvailable(bool available);
  // Packs found in the user's model folder (absolute folder paths); picking one fills the folder.
  void setInstalledPacks(const QStringList& packDirs);
  QComboBox* installedPacks() const { return m_installed; }
  void setChoice(const ModelChoice& c);
  ModelChoice choice() const;
  void setStatus(const QString& text);
  QString status() const;
  QPushButton* loadButton() const { return m_load; }

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
};

}  // namespace ns::ui

Q_DECLARE_METATYPE(ns::ui::ModelChoice)
