#include "ui/widgets/timeline_widget.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStyle>
#include <QToolButton>

#include "ui/widgets/timeline_ruler.h"

namespace ns::ui {

TimelineWidget::TimelineWidget(QWidget* parent) : QWidget(parent) {
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(4, 2, 4, 2);
  m_play = new QToolButton(this);
  m_play->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
  m_play->setToolTip(tr("Play / pause (Space)"));
  m_frameLabel = new QLabel(this);
  m_frameLabel->setMinimumWidth(70);
  m_ruler = new TimelineRuler(this);
  m_fps = new QSpinBox(this);
  m_fps->setRange(1, 60);
  m_fps->setValue(8);
  m_fps->setSuffix(tr(" fps"));
  m_fps->setToolTip(tr("Playback and export frame rate"));
  layout->addWidget(m_play);
  layout->addWidget(m_frameLabel);
  layout->addWidget(m_ruler, 1);
  layout->addWidget(m_fps);

  connect(m_play, &QToolButton::clicked, this, [this] { isPlaying() ? pause() : play(); });
  connect(m_ruler, &TimelineRuler::scrubbed, this, [this](int f) {
    updateLabel();
    emit currentFrameChanged(f);
  });
  connect(m_fps, qOverload<int>(&QSpinBox::valueChanged), this, [this](int fps) {
    m_timer.setInterval(1000 / fps);
    emit fpsEdited(fps);
  });
  m_timer.setInterval(1000 / m_fps->value());
  connect(&m_timer, &QTimer::timeout, this, &TimelineWidget::step);
  updateLabel();
}

void TimelineWidget::setFrameCount(int frames) {
  m_ruler->setFrameCount(frames);
  updateLabel();
}
int TimelineWidget::frameCount() const { return m_ruler->frameCount(); }

void TimelineWidget::setCurrentFrame(int frame) {
  const int before = m_ruler->currentFrame();
  m_ruler->setCurrentFrame(frame);
  updateLabel();
  if (m_ruler->currentFrame() != before) emit currentFrameChanged(m_ruler->currentFrame());
}
int TimelineWidget::currentFrame() const { return m_ruler->currentFrame(); }

void TimelineWidget::setKeyframes(const QSet<int>& frames) { m_ruler->setKeyframes(frames); }

void TimelineWidget::setFps(int fps) {
  const QSignalBlocker block(m_fps);
  m_fps->setValue(fps);
  m_timer.setInterval(1000 / std::max(1, m_fps->value()));
}
int TimelineWidget::fps() const { return m_fps->value(); }

void TimelineWidget::play() {
  if (frameCount() <= 1) return;
  m_timer.start();
  m_play->setIcon(style()->standardIcon(QStyle::SP_MediaPause));
  emit playingChanged(true);
}

void TimelineWidget::pause() {
  if (!m_timer.isActive()) return;
  m_timer.stop();
  m_play->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
  emit playingChanged(false);
}

void TimelineWidget::step() { setCurrentFrame((currentFrame() + 1) % std::max(1, frameCount())); }

void TimelineWidget::updateLabel() {
  m_frameLabel->setText(tr("%1 / %2").arg(currentFrame()).arg(frameCount() - 1));
}

}  // namespace ns::ui
