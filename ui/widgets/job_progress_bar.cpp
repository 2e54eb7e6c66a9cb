#include "ui/widgets/job_progress_bar.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QToolButton>

#include <cmath>

namespace ns::ui {

QString formatEta(double seconds) {
  const int s = int(std::lround(std::max(0.0, seconds)));
  if (s < 60) return QStringLiteral("%1 s").arg(s);
  return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

QString formatSecondsPerStep(double seconds) {
  const double s = std::max(0.0, seconds);
  const int decimals = s < 1.0 ? 2 : s < 10.0 ? 1 : 0;
  return QStringLiteral("%1 s/step").arg(s, 0, 'f', decimals);
}

JobProgressBar::JobProgressBar(QWidget* parent) : QWidget(parent) {
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  m_label = new QLabel(this);
  m_bar = new QProgressBar(this);
  m_bar->setMaximumWidth(180);
  m_bar->setTextVisible(false);
  m_cancel = new QToolButton(this);
  m_cancel->setText(tr("Cancel"));
  m_cancel->setToolTip(tr("Cancel the running job (Esc)"));
  layout->addWidget(m_label);
  layout->addWidget(m_bar);
  layout->addWidget(m_cancel);
  connect(m_cancel, &QToolButton::clicked, this, &JobProgressBar::cancelRequested);
  hide();
}

void JobProgressBar::begin(const QString& what) {
  m_what = what;
  m_bar->setRange(0, 0);  // busy until the first step arrives
  m_label->setText(what);
  show();
}

void JobProgressBar::setProgress(int step, int total, double etaSeconds, const QString& stage, double secondsPerStep) {
  m_bar->setRange(0, std::max(1, total));
  m_bar->setValue(step);
  const QString name = stage.isEmpty() ? m_what : stage;
  QString text = tr("%1 %2/%3").arg(name).arg(step).arg(total);
  if (secondsPerStep > 0) text += tr(" · %1").arg(formatSecondsPerStep(secondsPerStep));
  // No ETA before a step of this stage has been timed (it would read "0 s").
  if (step < total && step > 0 && etaSeconds > 0) text += tr(" · ETA %1").arg(formatEta(etaSeconds));
  m_label->setText(text);
  show();
}

void JobProgressBar::end() {
  m_what.clear();
  hide();
}

QString JobProgressBar::text() const { return m_label->text(); }
int JobProgressBar::value() const { return m_bar->value(); }
int JobProgressBar::maximum() const { return m_bar->maximum(); }

}  // namespace ns::ui
