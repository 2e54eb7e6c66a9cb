#pragma once
// InversionDock: the photo-editing workflow. A dropped photo becomes the source (shown here as a
// thumbnail); Invert runs the engine's invert verb on the model thread; target prompt, shift and
// colour offset edit the inverted noise and Re-render runs the edit verb (the skip is the
// Properties dock's "Inversion skip"); the edit mask panel sets up the mask brush. A/B shows source vs result in the preview.
// Until the engine offers invert/edit, the buttons stay disabled with a tooltip saying why.
// UI thread only.

#include <QDockWidget>
#include <QImage>

#include "ui/jobs/inversion_edits.h"

class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace ns::ui {

class MaskBrushPanel;

class InversionDock : public QDockWidget {
  Q_OBJECT
 public:
  explicit InversionDock(QWidget* parent = nullptr);

  void setSource(const QString& path, const QImage& image);
  QString sourcePath() const { return m_sourcePath; }
  bool hasSource() const { return !m_sourcePath.isEmpty(); }
  void setInverted(bool inverted);  // enables Re-render once noise maps exist
  // Whether the engine offers the verbs; when not, `why` becomes the buttons' tooltip.
  void setEngineSupport(bool available, const QString& why);
  InversionEdits edits() const;
  bool compareAB() const;

  QPushButton* invertButton() const { return m_invert; }
  QPushButton* rerenderButton() const { return m_rerender; }
  MaskBrushPanel* maskPanel() const { return m_mask; }

 signals:
  void invertRequested();
  void rerenderRequested();
  void compareToggled(bool on);

 private:
  void updateEnabled();
  QLabel* m_thumb = nullptr;
  QLabel* m_path = nullptr;
  QPushButton* m_invert = nullptr;
  QLineEdit* m_target = nullptr;
  QSpinBox* m_shiftX = nullptr;
  QSpinBox* m_shiftY = nullptr;
  QDoubleSpinBox* m_colour[3] = {nullptr, nullptr, nullptr};
  QPushButton* m_rerender = nullptr;
  MaskBrushPanel* m_mask = nullptr;
  QCheckBox* m_ab = nullptr;
  QString m_sourcePath;
  bool m_inverted = false;
  bool m_engine = false;
  QString m_engineWhy;
};

}  // namespace ns::ui
