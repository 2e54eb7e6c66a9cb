#pragma once
// PropertiesDock: the render settings of the document: prompt, negative prompt, seed (with a dice
// button), steps, guidance, noise ratio α, inversion skip and method. It holds no state of its
// own: MainWindow fills it from the Project (setValues, no signals) and turns edited() into undoable
// commands on the Project. UI thread only.

#include <QDockWidget>

#include <cstdint>
#include <functional>

#include "core/plan/project.h"
#include "ui/docks/model_sizes.h"

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;
class QGroupBox;
class QToolButton;

namespace ns::ui {

struct RenderValues {
  QString prompt;
  QString negativePrompt;
  quint64 seed = 0;
  int steps = 30;
  double guidance = 4.0;
  double noiseRatio = 0.7;  // α: fraction of the schedule the sketch is noised to
  int inversionSkip = 0;    // edit-friendly inversion: steps skipped at the start of the reverse pass
  InitMethod method = InitMethod::QSample;
  int width = 64;           // the project's frame size in pixels (the Size row)
  int height = 64;
  bool operator==(const RenderValues& o) const;
};

// The selected object's fields (the "Object" group).
struct ObjectValues {
  QString prompt;
  QString shape;   // vocabulary shape (built-in shapes)
  QString colour;  // vocabulary colour (built-in shapes)
  bool builtinShape = true;
};

class PropertiesDock : public QDockWidget {
  Q_OBJECT
 public:
  explicit PropertiesDock(QWidget* parent = nullptr);

  void setValues(const RenderValues& v);  // no edited() emitted
  RenderValues values() const;
  // Where the dice button gets its seeds (tests make it deterministic). Default: a random device.
  void setSeedSource(std::function<quint64()> source) { m_seedSource = std::move(source); }

  // The selected object's fields; `enabled` false greys the group out (nothing selected).
  void setObject(bool enabled, const ObjectValues& v);
  ObjectValues objectValues() const;

  QPlainTextEdit* promptEdit() const { return m_prompt; }
  QLineEdit* objectPromptEdit() const { return m_objectPrompt; }
  QToolButton* diceButton() const { return m_dice; }
  // The sizes the loaded model offers (model_sizes.h: squares and aspect ratios, labelled). The
  // project's own size stays listed ("W × H") when it is not one of them.
  void setSizeChoices(const QList<SizeChoice>& sizes);
  QComboBox* sizeBox() const { return m_size; }

 signals:
  // A field changed by the user. `field` names it ("prompt", "seed", ...), so consecutive edits of
  // one field merge into one undo step.
  void edited(QString field);
  void objectEdited(QString field);  // "objectPrompt", "shape", "colour"

 private:
  QPlainTextEdit* m_prompt = nullptr;
  QLineEdit* m_negative = nullptr;
  QLineEdit* m_seed = nullptr;
  QToolButton* m_dice = nullptr;
  QSpinBox* m_steps = nullptr;
  QDoubleSpinBox* m_guidance = nullptr;
  QDoubleSpinBox* m_ratio = nullptr;
  QSpinBox* m_skip = nullptr;
  QComboBox* m_method = nullptr;
  QComboBox* m_size = nullptr;
  QList<SizeChoice> m_sizes;
  QGroupBox* m_objectGroup = nullptr;
  QLineEdit* m_objectPrompt = nullptr;
  QComboBox* m_shape = nullptr;
  QComboBox* m_colour = nullptr;
  std::function<quint64()> m_seedSource;
  bool m_filling = false;
};

}  // namespace ns::ui
