#pragma once
// File → Export…: format (formats this system cannot encode are listed but disabled, with the
// reason as tooltip), frame range, size (the result's, half, double) and where to write. The
// settings it returns are checked (range, a path); writing is the window's job (exportWith).
#include <QDialog>

#include "ui/export/export_settings.h"

class QComboBox;
class QLineEdit;
class QSpinBox;
class QLabel;

namespace ns::ui {

class ExportDialog : public QDialog {
  Q_OBJECT
 public:
  // `frames`, `width`, `height`: the result being exported; `stem`: the default file name.
  ExportDialog(int frames, int width, int height, const QString& defaultDir, const QString& stem,
               QWidget* parent = nullptr);
  ExportSettings settings() const;

  QComboBox* formatBox() const { return m_format; }
  QComboBox* sizeBox() const { return m_size; }
  QSpinBox* firstBox() const { return m_first; }
  QSpinBox* lastBox() const { return m_last; }
  QLineEdit* pathEdit() const { return m_path; }
  QLabel* problemLabel() const { return m_problem; }

 public slots:
  void accept() override;  // stays open with the reason when the settings are not usable

 private:
  void formatChanged();
  QComboBox* m_format = nullptr;
  QComboBox* m_size = nullptr;
  QSpinBox* m_first = nullptr;
  QSpinBox* m_last = nullptr;
  QLineEdit* m_path = nullptr;
  QLabel* m_problem = nullptr;
  QString m_stem;
};

}  // namespace ns::ui
