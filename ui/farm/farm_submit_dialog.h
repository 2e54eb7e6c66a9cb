#pragma once
// FarmSubmitDialog: File → Render on farm…. Shows the last accepted settings (QSettings), and on
// Submit checks them (validateFarmSubmit: chunk ≥ 1, output folder writable, sbatch on PATH, the
// project saved…). A refusal stays in the dialog with its reason and submits nothing; accepted
// settings are remembered and handed out by submitRequested(), then the dialog closes. The
// submitting itself (a CLI process) is the window's. UI thread only.

#include <QDialog>

#include "ui/farm/farm_submit_settings.h"

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace ns::ui {

class FarmSubmitDialog : public QDialog {
  Q_OBJECT
 public:
  // `projectPath`: the document's file ("" if never saved); `projectModified`: unsaved changes.
  FarmSubmitDialog(const QString& projectPath, bool projectModified, QWidget* parent = nullptr);

  FarmSubmitSettings settings() const;  // what the fields say now
  void setSettings(const FarmSubmitSettings& s);
  QString errorText() const;             // the last refusal ("" if none)

  QSpinBox* chunkBox() const { return m_chunk; }
  QLineEdit* outDirEdit() const { return m_outDir; }
  QLineEdit* modelEdit() const { return m_model; }
  QPushButton* submitButton() const;

 public slots:
  void accept() override;  // validates first; stays open on a refusal

 signals:
  void submitRequested(const ns::ui::FarmSubmitSettings& settings);

 private:
  QString m_projectPath;
  bool m_projectModified = false;
  QComboBox* m_engine = nullptr;
  QSpinBox* m_chunk = nullptr;
  QLineEdit* m_partition = nullptr;
  QSpinBox* m_cpus = nullptr;
  QSpinBox* m_gpus = nullptr;
  QLineEdit* m_mem = nullptr;
  QLineEdit* m_time = nullptr;
  QSpinBox* m_maxParallel = nullptr;
  QLineEdit* m_model = nullptr;
  QLineEdit* m_outDir = nullptr;
  QLabel* m_error = nullptr;
  QDialogButtonBox* m_buttons = nullptr;
};

}  // namespace ns::ui
