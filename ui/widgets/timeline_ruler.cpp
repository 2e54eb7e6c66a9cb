#include "ui/widgets/timeline_ruler.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace ns::ui {

TimelineRuler::TimelineRuler(QWidget* parent) : QWidget(parent) {
  setMinimumHeight(30);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  setToolTip(tr("Timeline: click or drag to scrub; diamonds are the selected object's keyframes"));
}

void TimelineRuler::setFrameCount(int frames) {
  m_frames = std::max(1, frames);
  m_current = std::clamp(m_current, 0, m_frames - 1);
  update();
}

void TimelineRuler::setCurrentFrame(int frame) {
  m_current = std::clamp(frame, 0, m_frames - 1);
  update();
}

void TimelineRuler::setKeyframes(const QSet<int>& frames) {
  m_keys = frames;
  update();
}

double TimelineRuler::cellWidth() const { return double(std::max(1, width())) / m_frames; }

int TimelineRuler::frameAt(int x) const { return std::clamp(int(std::floor(x / cellWidth())), 0, m_frames - 1); }

int TimelineRuler::xOf(int frame) const { return int((frame + 0.5) * cellWidth()); }

void TimelineRuler::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  p.fillRect(rect(), palette().base());
  const double w = cellWidth();
  const int h = height();
  // Cells, with a tick label every few frames so numbers never overlap.
  const int labelEvery = std::max(1, int(std::ceil(28.0 / w)));
  p.setPen(palette().mid().color());
  for (int f = 0; f <= m_frames; ++f) p.drawLine(QPointF(f * w, h * 0.65), QPointF(f * w, h));
  p.setPen(palette().text().color());
  QFont font = p.font();
  font.setPointSizeF(std::max(6.0, font.pointSizeF() * 0.8));
  p.setFont(font);
  for (int f = 0; f < m_frames; f += labelEvery) p.drawText(QRectF(f * w, 0, w * labelEvery, h * 0.45), Qt::AlignLeft, QString::number(f));
  // Current frame.
  p.fillRect(QRectF(m_current * w, h * 0.45, w, h * 0.55), QColor(70, 130, 220, 160));
  // Keyframes.
  p.setBrush(QColor(250, 200, 60));
  p.setPen(QPen(Qt::black, 1));
  for (int k : m_keys) {
    if (k < 0 || k >= m_frames) continue;
    const QPointF c((k + 0.5) * w, h * 0.72);
    const double r = std::min(6.0, std::max(3.0, w * 0.4));
    QPainterPath d;
    d.moveTo(c + QPointF(0, -r));
    d.lineTo(c + QPointF(r, 0));
    d.lineTo(c + QPointF(0, r));
    d.lineTo(c + QPointF(-r, 0));
    d.closeSubpath();
    p.drawPath(d);
  }
}

void TimelineRuler::mousePressEvent(QMouseEvent* e) {
  const int f = frameAt(int(e->position().x()));
  setCurrentFrame(f);
  emit scrubbed(f);
}

void TimelineRuler::mouseMoveEvent(QMouseEvent* e) {
  if (!(e->buttons() & Qt::LeftButton)) return;
  const int f = frameAt(int(e->position().x()));
  if (f == m_current) return;
  setCurrentFrame(f);
  emit scrubbed(f);
}

}  // namespace ns::ui
