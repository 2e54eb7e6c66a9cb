#pragma once
// MaskBrushPanel: the mask brush's settings in the Photo edit dock — paint or erase, brush size
// and hardness, whether a stroke covers the whole clip or only the current frame, the mask's
// feather, invert, clear and whether the overlay is shown. Brush settings are the tool's (not the
// document's); feather, invert and clear change the mask and become undo steps in MainWindow.
// UI thread only.

#include <QGroupBox>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QPushButton;

namespace ns::ui {

struct MaskBrush {
  double radius = 0.08;   // fraction of the canvas's shorter side
  double hardness = 0.8;  // 1 = hard edge
  bool erase = false;
  bool wholeClip = true;  // false: strokes, invert and clear apply to the current frame only
};

class MaskBrushPanel : public QGroupBox {
  Q_OBJECT
 public:
  explicit MaskBrushPanel(QWidget* parent = nullptr);

  MaskBrush brush() const;
  void setErase(bool erase);
  // Brush size in steps of 10% ([ and ] in the window), within the spin box's range.
  void growBrush(bool larger);
  double feather() const;             // fraction of the canvas's shorter side
  void setFeather(double fraction);   // from the document; emits nothing
  bool overlayShown() const;
  void setOverlayShown(bool on);

  QPushButton* invertButton() const { return m_invert; }
  QPushButton* clearButton() const { return m_clear; }

 signals:
  void brushChanged();
  void featherEdited(double fraction);
  void invertRequested();
  void clearRequested();
  void overlayToggled(bool on);

 private:
  QComboBox* m_mode = nullptr;
  QDoubleSpinBox* m_size = nullptr;      // percent
  QDoubleSpinBox* m_hardness = nullptr;  // 0..1
  QDoubleSpinBox* m_feather = nullptr;   // percent
  QCheckBox* m_wholeClip = nullptr;
  QCheckBox* m_show = nullptr;
  QPushButton* m_invert = nullptr;
  QPushButton* m_clear = nullptr;
};

}  // namespace ns::ui
