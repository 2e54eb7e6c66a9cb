#pragma once
// TimelineRuler: the painted strip of the timeline: one cell per frame, keyframe markers
// (diamonds) for the selected object, the current frame highlighted. Press or drag scrubs.
// UI thread only.

#include <QSet>
#include <QWidget>

namespace ns::ui {

class TimelineRuler : public QWidget {
  Q_OBJECT
 public:
  explicit TimelineRuler(QWidget* parent = nullptr);

  void setFrameCount(int frames);
  int frameCount() const { return m_frames; }
  void setCurrentFrame(int frame);  // clamped to 0..frameCount-1
  int currentFrame() const { return m_current; }
  void setKeyframes(const QSet<int>& frames);
  const QSet<int>& keyframes() const { return m_keys; }
  // Frame under an x position in this widget (clamped).
  int frameAt(int x) const;
  // Centre x of a frame's cell.
  int xOf(int frame) const;

  QSize sizeHint() const override { return {400, 36}; }

 signals:
  void scrubbed(int frame);  // the user pressed/dragged to a frame

 protected:
  void paintEvent(QPaintEvent*) override;
  void mousePressEvent(QMouseEvent* e) override;
  void mouseMoveEvent(QMouseEvent* e) override;

 private:
  double cellWidth() const;
  int m_frames = 1;
  int m_current = 0;
  QSet<int> m_keys;
};

}  // namespace ns::ui
