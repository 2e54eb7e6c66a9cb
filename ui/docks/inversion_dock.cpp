#include "ui/docks/inversion_dock.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPixmap>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include "ui/docks/mask_brush_panel.h"

namespace ns::ui {

InversionDock::InversionDock(QWidget* parent) : QDockWidget(tr("Photo edit"), parent) {
  setObjectName(QStringLiteral("inversionDock"));
  auto* body = new QWidget(this);
  auto* column = new QVBoxLayout(body);
  m_thumb = new QLabel(tr("Drop a photo on the window"), body);
  m_thumb->setAlignment(Qt::AlignCenter);
  m_thumb->setMinimumHeight(96);
  m_thumb->setFrameShape(QFrame::StyledPanel);
  m_path = new QLabel(body);
  m_path->setWordWrap(true);
  m_invert = new QPushButton(tr("Invert"), body);
  m_target = new QLineEdit(body);
  m_target->setPlaceholderText(tr("target prompt (empty: keep)"));
  m_target->setToolTip(tr("Prompt of the re-render; empty keeps the inversion's prompt"));
  m_shiftX = new QSpinBox(body);
  m_shiftY = new QSpinBox(body);
  for (QSpinBox* s : {m_shiftX, m_shiftY}) s->setRange(-64, 64);
  m_shiftX->setToolTip(tr("Move the content right (negative: left), in latent pixels"));
  m_shiftY->setToolTip(tr("Move the content down (negative: up), in latent pixels"));
  auto* shiftRow = new QHBoxLayout;
  shiftRow->addWidget(m_shiftX);
  shiftRow->addWidget(m_shiftY);
  auto* colourRow = new QHBoxLayout;
  const char* names[3] = {"R", "G", "B"};
  for (int c = 0; c < 3; ++c) {
    m_colour[c] = new QDoubleSpinBox(body);
    m_colour[c]->setRange(-2.0, 2.0);
    m_colour[c]->setSingleStep(0.1);
    m_colour[c]->setPrefix(QString::fromLatin1(names[c]) + QStringLiteral(" "));
    m_colour[c]->setToolTip(tr("Colour shift of the %1 channel (inside the mask, if one is painted)").arg(QString::fromLatin1(names[c])));
    colourRow->addWidget(m_colour[c]);
  }
  m_rerender = new QPushButton(tr("Re-render"), body);
  m_ab = new QCheckBox(tr("Compare A/B with the source"), body);
  m_ab->setToolTip(tr("Split the preview: the source on one side, the re-render on the other"));
  auto* form = new QFormLayout;
  form->addRow(tr("Target"), m_target);
  form->addRow(tr("Shift x/y"), shiftRow);
  form->addRow(tr("Colour"), colourRow);
  column->addWidget(m_thumb);
  column->addWidget(m_path);
  column->addWidget(m_invert);
  column->addLayout(form);
  m_mask = new MaskBrushPanel(body);
  column->addWidget(m_mask);
  column->addWidget(m_rerender);
  column->addWidget(m_ab);
  column->addStretch(1);
  setWidget(body);
  connect(m_invert, &QPushButton::clicked, this, &InversionDock::invertRequested);
  connect(m_rerender, &QPushButton::clicked, this, &InversionDock::rerenderRequested);
  connect(m_ab, &QCheckBox::toggled, this, &InversionDock::compareToggled);
  setEngineSupport(false, tr("The engine has no invert/edit verbs in this build yet."));
}

void InversionDock::setSource(const QString& path, const QImage& image) {
  m_sourcePath = path;
  m_inverted = false;
  m_thumb->setPixmap(QPixmap::fromImage(image.scaled(160, 120, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
  m_path->setText(tr("%1 (%2×%3)").arg(QFileInfo(path).fileName()).arg(image.width()).arg(image.height()));
  updateEnabled();
}

void InversionDock::setInverted(bool inverted) {
  m_inverted = inverted;
  updateEnabled();
}

void InversionDock::setEngineSupport(bool available, const QString& why) {
  m_engine = available;
  m_engineWhy = why;
  updateEnabled();
}

void InversionDock::updateEnabled() {
  m_invert->setEnabled(m_engine && hasSource());
  m_rerender->setEnabled(m_engine && m_inverted);
  m_ab->setEnabled(hasSource());
  if (!m_engine) {
    m_invert->setToolTip(m_engineWhy);
    m_rerender->setToolTip(m_engineWhy);
  } else {
    m_invert->setToolTip(hasSource() ? tr("Invert the source into editable noise maps") : tr("Drop a photo first"));
    m_rerender->setToolTip(m_inverted ? tr("Apply the edits and render") : tr("Invert the source first"));
  }
}

InversionEdits InversionDock::edits() const {
  InversionEdits e;
  e.targetPrompt = m_target->text();
  e.shiftX = m_shiftX->value();
  e.shiftY = m_shiftY->value();
  for (int c = 0; c < 3; ++c) e.colour[c] = m_colour[c]->value();
  return e;
}

bool InversionDock::compareAB() const { return m_ab->isChecked(); }

}  // namespace ns::ui
