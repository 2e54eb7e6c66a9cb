#include "ui/docks/mask_brush_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QPushButton>
#include <QSignalBlocker>

namespace ns::ui {

MaskBrushPanel::MaskBrushPanel(QWidget* parent) : QGroupBox(tr("Edit mask"), parent) {
  setObjectName(QStringLiteral("maskBrushPanel"));
  setToolTip(tr("Paint where the edit applies (mask brush, M). No mask: the edit applies everywhere."));
  m_mode = new QComboBox(this);
  m_mode->setObjectName(QStringLiteral("maskMode"));
  m_mode->addItems({tr("Paint"), tr("Erase")});
  m_mode->setToolTip(tr("Paint adds to the edited area, Erase removes from it (X toggles)"));
  m_size = new QDoubleSpinBox(this);
  m_size->setObjectName(QStringLiteral("maskSize"));
  m_size->setRange(0.5, 50.0);
  m_size->setSingleStep(1.0);
  m_size->setSuffix(QStringLiteral(" %"));
  m_size->setValue(8.0);
  m_size->setToolTip(tr("Brush radius in percent of the canvas's shorter side ([ and ] change it)"));
  m_hardness = new QDoubleSpinBox(this);
  m_hardness->setObjectName(QStringLiteral("maskHardness"));
  m_hardness->setRange(0.0, 1.0);
  m_hardness->setSingleStep(0.1);
  m_hardness->setValue(0.8);
  m_hardness->setToolTip(tr("1: hard edge; lower values fade out from further in"));
  m_feather = new QDoubleSpinBox(this);
  m_feather->setObjectName(QStringLiteral("maskFeather"));
  m_feather->setRange(0.0, 25.0);
  m_feather->setSingleStep(0.5);
  m_feather->setSuffix(QStringLiteral(" %"));
  m_feather->setToolTip(tr("Blur of the whole mask's edge (percent of the shorter side); part of the edit, undoable"));
  m_wholeClip = new QCheckBox(tr("Whole clip"), this);
  m_wholeClip->setObjectName(QStringLiteral("maskWholeClip"));
  m_wholeClip->setChecked(true);
  m_wholeClip->setToolTip(tr("On: strokes, invert and clear apply to every frame; off: to the current frame only"));
  m_show = new QCheckBox(tr("Show mask"), this);
  m_show->setObjectName(QStringLiteral("maskShow"));
  m_show->setChecked(true);
  m_show->setToolTip(tr("Show the mask as a red wash on the canvas (Shift+M)"));
  m_invert = new QPushButton(tr("Invert"), this);
  m_invert->setObjectName(QStringLiteral("maskInvert"));
  m_invert->setToolTip(tr("Swap edited and kept areas (Ctrl+I)"));
  m_clear = new QPushButton(tr("Clear"), this);
  m_clear->setObjectName(QStringLiteral("maskClear"));
  m_clear->setToolTip(tr("Remove the mask: the edit applies everywhere again (Ctrl+Shift+M)"));

  auto* form = new QFormLayout(this);
  form->addRow(tr("Brush"), m_mode);
  form->addRow(tr("Size"), m_size);
  form->addRow(tr("Hardness"), m_hardness);
  form->addRow(tr("Feather"), m_feather);
  auto* checks = new QHBoxLayout;
  checks->addWidget(m_wholeClip);
  checks->addWidget(m_show);
  form->addRow(checks);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_invert);
  buttons->addWidget(m_clear);
  form->addRow(buttons);

  connect(m_mode, qOverload<int>(&QComboBox::currentIndexChanged), this, &MaskBrushPanel::brushChanged);
  connect(m_size, qOverload<double>(&QDoubleSpinBox::valueChanged), this, &MaskBrushPanel::brushChanged);
  connect(m_hardness, qOverload<double>(&QDoubleSpinBox::valueChanged), this, &MaskBrushPanel::brushChanged);
  connect(m_wholeClip, &QCheckBox::toggled, this, &MaskBrushPanel::brushChanged);
  connect(m_feather, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
          [this](double percent) { emit featherEdited(percent / 100.0); });
  connect(m_show, &QCheckBox::toggled, this, &MaskBrushPanel::overlayToggled);
  connect(m_invert, &QPushButton::clicked, this, &MaskBrushPanel::invertRequested);
  connect(m_clear, &QPushButton::clicked, this, &MaskBrushPanel::clearRequested);
}

MaskBrush MaskBrushPanel::brush() const {
  MaskBrush b;
  b.radius = m_size->value() / 100.0;
  b.hardness = m_hardness->value();
  b.erase = m_mode->currentIndex() == 1;
  b.wholeClip = m_wholeClip->isChecked();
  return b;
}

void MaskBrushPanel::setErase(bool erase) { m_mode->setCurrentIndex(erase ? 1 : 0); }

void MaskBrushPanel::growBrush(bool larger) { m_size->setValue(m_size->value() * (larger ? 1.1 : 1.0 / 1.1)); }

double MaskBrushPanel::feather() const { return m_feather->value() / 100.0; }

void MaskBrushPanel::setFeather(double fraction) {
  const QSignalBlocker block(m_feather);
  m_feather->setValue(fraction * 100.0);
}

bool MaskBrushPanel::overlayShown() const { return m_show->isChecked(); }

void MaskBrushPanel::setOverlayShown(bool on) { m_show->setChecked(on); }

}  // namespace ns::ui
