#include "ui/docks/noise_dock.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace ns::ui {

NoiseDock::NoiseDock(QWidget* parent) : QDockWidget(tr("Noise"), parent) {
  setObjectName(QStringLiteral("noiseDock"));
  auto* body = new QWidget(this);
  auto* column = new QVBoxLayout(body);
  auto* form = new QFormLayout;
  m_recipe = new QComboBox(body);
  m_recipe->addItem(tr("Random (seeded)"), int(NoiseKind::Random));
  m_recipe->addItem(tr("Inverted from the source"), int(NoiseKind::Inverted));
  m_recipe->addItem(tr("Warped along the motion"), int(NoiseKind::Warped));
  m_recipe->addItem(tr("FreeNoise (long clips)"), int(NoiseKind::FreeNoise));
  m_recipe->setToolTip(tr("Where the starting noise comes from: seeded, inverted from the source, warped along the motion, or FreeNoise windows"));
  m_degradation = new QDoubleSpinBox(body);
  m_degradation->setRange(0.0, 1.0);
  m_degradation->setSingleStep(0.05);
  m_degradation->setToolTip(tr("Degradation γ: how much fresh noise is mixed into the warped noise"));
  m_window = new QSpinBox(body);
  m_window->setRange(2, 256);
  m_window->setToolTip(tr("FreeNoise window: frames of noise that repeat, shuffled"));
  m_stride = new QSpinBox(body);
  m_stride->setRange(1, 256);
  m_stride->setToolTip(tr("FreeNoise stride: frames between the starts of two windows"));
  form->addRow(tr("Recipe"), m_recipe);
  form->addRow(tr("Degradation γ"), m_degradation);
  form->addRow(tr("Window"), m_window);
  form->addRow(tr("Stride"), m_stride);
  column->addLayout(form);

  auto* inspector = new QGroupBox(tr("Inspector"), body);
  auto* il = new QVBoxLayout(inspector);
  m_stats = new QLabel(tr("No noise computed yet."), inspector);
  m_stats->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_inspect = new QPushButton(tr("Inspect current noise"), inspector);
  m_inspect->setToolTip(tr("Computes the noise field for this project on the model thread and shows it"));
  il->addWidget(m_stats);
  il->addWidget(m_inspect);
  column->addWidget(inspector);
  column->addStretch(1);
  setWidget(body);

  auto notify = [this](const char* field) {
    return [this, field] {
      updateEnabled();
      if (!m_filling) emit edited(QString::fromLatin1(field));
    };
  };
  connect(m_recipe, qOverload<int>(&QComboBox::currentIndexChanged), this, notify("recipe"));
  connect(m_degradation, qOverload<double>(&QDoubleSpinBox::valueChanged), this, notify("degradation"));
  connect(m_window, qOverload<int>(&QSpinBox::valueChanged), this, notify("window"));
  connect(m_stride, qOverload<int>(&QSpinBox::valueChanged), this, notify("stride"));
  connect(m_inspect, &QPushButton::clicked, this, &NoiseDock::inspectRequested);
  updateEnabled();
}

void NoiseDock::updateEnabled() {
  const auto r = NoiseKind(m_recipe->currentData().toInt());
  m_degradation->setEnabled(r == NoiseKind::Warped);
  m_window->setEnabled(r == NoiseKind::FreeNoise);
  m_stride->setEnabled(r == NoiseKind::FreeNoise);
}

void NoiseDock::setValues(const NoiseValues& v) {
  m_filling = true;
  m_recipe->setCurrentIndex(std::max(0, m_recipe->findData(int(v.recipe))));
  m_degradation->setValue(v.degradation);
  m_window->setValue(v.window);
  m_stride->setValue(v.stride);
  updateEnabled();
  m_filling = false;
}

NoiseValues NoiseDock::values() const {
  NoiseValues v;
  v.recipe = NoiseKind(m_recipe->currentData().toInt());
  v.degradation = m_degradation->value();
  v.window = m_window->value();
  v.stride = m_stride->value();
  return v;
}

void NoiseDock::setStats(const NoiseStatsView& s) {
  m_stats->setText(tr("mean %1\nstd %2\nlag-1 autocorrelation %3")
                       .arg(s.mean, 0, 'f', 4)
                       .arg(s.std, 0, 'f', 4)
                       .arg(s.lag1, 0, 'f', 4));
}

void NoiseDock::clearStats(const QString& why) { m_stats->setText(why); }

QString NoiseDock::statsText() const { return m_stats->text(); }

}  // namespace ns::ui
