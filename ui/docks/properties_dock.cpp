#include "ui/docks/properties_dock.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QVBoxLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QRandomGenerator>
#include <QRegularExpressionValidator>
#include <QSize>
#include <QSpinBox>
#include <QToolButton>

#include "core/model/vocabulary.h"

namespace ns::ui {

bool RenderValues::operator==(const RenderValues& o) const {
  return prompt == o.prompt && negativePrompt == o.negativePrompt && seed == o.seed && steps == o.steps &&
         guidance == o.guidance && noiseRatio == o.noiseRatio && inversionSkip == o.inversionSkip && method == o.method &&
         width == o.width && height == o.height;
}

PropertiesDock::PropertiesDock(QWidget* parent) : QDockWidget(tr("Properties"), parent) {
  setObjectName(QStringLiteral("propertiesDock"));
  m_seedSource = [] { return QRandomGenerator::global()->generate64() & 0xFFFFFFFFull; };
  auto* body = new QWidget(this);
  auto* column = new QVBoxLayout(body);
  auto* form = new QFormLayout;
  column->addLayout(form);

  m_prompt = new QPlainTextEdit(body);
  m_prompt->setPlaceholderText(tr("a red ball on grass"));
  m_prompt->setMaximumHeight(70);
  m_prompt->setToolTip(tr("What the whole picture shows; object prompts are added in front of it"));
  m_negative = new QLineEdit(body);
  m_negative->setPlaceholderText(tr("what to avoid"));
  m_negative->setToolTip(tr("Negative prompt: what guidance steers away from"));
  m_seed = new QLineEdit(body);
  m_seed->setToolTip(tr("Seed of the starting noise: the same seed and plan give the same render"));
  m_seed->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{1,19}")), m_seed));
  m_dice = new QToolButton(body);
  m_dice->setText(QStringLiteral("🎲"));
  m_dice->setToolTip(tr("New random seed"));
  auto* seedRow = new QHBoxLayout;
  seedRow->addWidget(m_seed, 1);
  seedRow->addWidget(m_dice);
  m_steps = new QSpinBox(body);
  m_steps->setRange(1, 1000);
  m_steps->setObjectName(QStringLiteral("renderSteps"));
  m_steps->setToolTip(tr("Denoising steps: more is slower and finer"));
  m_guidance = new QDoubleSpinBox(body);
  m_guidance->setRange(0.0, 30.0);
  m_guidance->setSingleStep(0.5);
  m_guidance->setToolTip(tr("Classifier-free guidance scale"));
  m_ratio = new QDoubleSpinBox(body);
  m_ratio->setRange(0.0, 1.0);
  m_ratio->setSingleStep(0.05);
  m_ratio->setToolTip(tr("Noise ratio α: how far the sketch is noised before denoising (0 keeps it, 1 ignores it)"));
  m_skip = new QSpinBox(body);
  m_skip->setRange(0, 999);
  m_skip->setToolTip(tr("Inversion skip: reverse-pass steps skipped (higher keeps more of the source)"));
  m_method = new QComboBox(body);
  m_method->addItem(tr("Noise the sketch (q-sample)"), int(InitMethod::QSample));
  m_method->addItem(tr("DDIM-invert the sketch"), int(InitMethod::DdimInversion));
  m_method->setToolTip(tr("How the sketch becomes the starting noise: noised to α, or DDIM-inverted"));

  m_size = new QComboBox(body);
  m_size->setToolTip(tr("Image size: the model's native size and the usual sizes on its grid and portrait/landscape aspect ratios with the native size as the short side"));

  form->addRow(tr("Size"), m_size);
  form->addRow(tr("Prompt"), m_prompt);
  form->addRow(tr("Negative"), m_negative);
  form->addRow(tr("Seed"), seedRow);
  form->addRow(tr("Steps"), m_steps);
  form->addRow(tr("Guidance"), m_guidance);
  form->addRow(tr("Noise ratio α"), m_ratio);
  form->addRow(tr("Inversion skip"), m_skip);
  form->addRow(tr("Method"), m_method);

  m_objectGroup = new QGroupBox(tr("Selected object"), body);
  auto* of = new QFormLayout(m_objectGroup);
  m_objectPrompt = new QLineEdit(m_objectGroup);
  m_objectPrompt->setPlaceholderText(tr("empty: \"a <colour> <shape>\""));
  m_objectPrompt->setToolTip(tr("What the selected object is; the model paints it from this when its source is \"generate\""));
  m_shape = new QComboBox(m_objectGroup);
  m_colour = new QComboBox(m_objectGroup);
  m_shape->setToolTip(tr("The flat shape drawn in the sketch for this object"));
  m_colour->setToolTip(tr("The flat shape's colour in the sketch"));
  for (const std::string& w : Vocabulary::shapes()) m_shape->addItem(QString::fromStdString(w));
  for (const std::string& w : Vocabulary::colours()) m_colour->addItem(QString::fromStdString(w));
  of->addRow(tr("Prompt"), m_objectPrompt);
  of->addRow(tr("Shape"), m_shape);
  of->addRow(tr("Colour"), m_colour);
  column->addWidget(m_objectGroup);
  column->addStretch(1);
  m_objectGroup->setEnabled(false);
  setWidget(body);

  auto notify = [this](const char* field) {
    return [this, field] {
      if (!m_filling) emit edited(QString::fromLatin1(field));
    };
  };
  connect(m_prompt, &QPlainTextEdit::textChanged, this, notify("prompt"));
  connect(m_negative, &QLineEdit::textEdited, this, notify("negativePrompt"));
  connect(m_seed, &QLineEdit::textEdited, this, notify("seed"));
  connect(m_steps, qOverload<int>(&QSpinBox::valueChanged), this, notify("steps"));
  connect(m_guidance, qOverload<double>(&QDoubleSpinBox::valueChanged), this, notify("guidance"));
  connect(m_ratio, qOverload<double>(&QDoubleSpinBox::valueChanged), this, notify("noiseRatio"));
  connect(m_skip, qOverload<int>(&QSpinBox::valueChanged), this, notify("inversionSkip"));
  connect(m_method, qOverload<int>(&QComboBox::currentIndexChanged), this, notify("method"));
  connect(m_size, qOverload<int>(&QComboBox::activated), this, notify("size"));
  auto notifyObject = [this](const char* field) {
    return [this, field] {
      if (!m_filling) emit objectEdited(QString::fromLatin1(field));
    };
  };
  connect(m_objectPrompt, &QLineEdit::textEdited, this, notifyObject("objectPrompt"));
  connect(m_shape, qOverload<int>(&QComboBox::currentIndexChanged), this, notifyObject("shape"));
  connect(m_colour, qOverload<int>(&QComboBox::currentIndexChanged), this, notifyObject("colour"));
  connect(m_dice, &QToolButton::clicked, this, [this] {
    m_seed->setText(QString::number(m_seedSource()));
    emit edited(QStringLiteral("seed"));
  });
}

void PropertiesDock::setValues(const RenderValues& v) {
  m_filling = true;
  if (m_prompt->toPlainText() != v.prompt) m_prompt->setPlainText(v.prompt);  // keeps the cursor while typing
  if (m_negative->text() != v.negativePrompt) m_negative->setText(v.negativePrompt);
  if (m_seed->text() != QString::number(v.seed)) m_seed->setText(QString::number(v.seed));
  m_steps->setValue(v.steps);
  m_guidance->setValue(v.guidance);
  m_ratio->setValue(v.noiseRatio);
  m_skip->setValue(v.inversionSkip);
  m_method->setCurrentIndex(std::max(0, m_method->findData(int(v.method))));
  // The model's sizes, plus the project's own when it is not one of them (a project made for
  // another model keeps showing what it will render at).
  m_size->clear();
  const QSize current(v.width, v.height);
  bool listed = false;
  for (const SizeChoice& c : m_sizes) {
    m_size->addItem(c.label, c.size);
    listed = listed || c.size == current;
  }
  if (!listed) m_size->addItem(tr("%1 × %2").arg(v.width).arg(v.height), current);
  m_size->setCurrentIndex(std::max(0, m_size->findData(current)));
  m_filling = false;
}

void PropertiesDock::setSizeChoices(const QList<SizeChoice>& sizes) {
  RenderValues v = values();
  m_sizes = sizes;
  setValues(v);
}

RenderValues PropertiesDock::values() const {
  RenderValues v;
  v.prompt = m_prompt->toPlainText();
  v.negativePrompt = m_negative->text();
  v.seed = m_seed->text().toULongLong();
  v.steps = m_steps->value();
  v.guidance = m_guidance->value();
  v.noiseRatio = m_ratio->value();
  v.inversionSkip = m_skip->value();
  v.method = InitMethod(m_method->currentData().toInt());
  const QSize size = m_size->currentData().toSize();
  if (size.isValid()) {
    v.width = size.width();
    v.height = size.height();
  }
  return v;
}

}  // namespace ns::ui

namespace ns::ui {

void PropertiesDock::setObject(bool enabled, const ObjectValues& v) {
  m_filling = true;
  m_objectGroup->setEnabled(enabled);
  if (m_objectPrompt->text() != v.prompt) m_objectPrompt->setText(v.prompt);
  m_shape->setCurrentIndex(std::max(0, m_shape->findText(v.shape)));
  m_colour->setCurrentIndex(std::max(0, m_colour->findText(v.colour)));
  m_shape->setEnabled(v.builtinShape);
  m_colour->setEnabled(v.builtinShape);
  m_filling = false;
}

ObjectValues PropertiesDock::objectValues() const {
  ObjectValues v;
  v.prompt = m_objectPrompt->text();
  v.shape = m_shape->currentText();
  v.colour = m_colour->currentText();
  v.builtinShape = m_shape->isEnabled();
  return v;
}

}  // namespace ns::ui
