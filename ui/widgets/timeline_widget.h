#pragma once
// TimelineWidget: the bottom strip: play/pause, current frame, the ruler (scrub + keyframes) and
// the playback fps. Playback advances the current frame on a QTimer and wraps. The frame count
// and fps shown come from the Project (MainWindow sets them); the widget only reports changes.
// UI thread only.

#include <QSet>
#include <QTimer>
#include <QWidget>

class QLabel;
class QSpinBox;
class QToolButton;

namespace ns::ui {

class TimelineRuler;

class TimelineWidget : public QWidget {
  Q_OBJECT
 public:
  explicit TimelineWidget(QWidget* parent = nullptr);

  void setFrameCount(int frames);
  int frameCount() const;
  void setCurrentFrame(int frame);
  int currentFrame() const;
  void setKeyframes(const QSet<int>& frames);
  void setFps(int fps);
  int fps() const;

  void play();
  void pause();
  bool isPlaying() const { return m_timer.isActive(); }
  TimelineRuler* ruler() const { return m_ruler; }

 signals:
  void currentFrameChanged(int frame);
  void fpsEdited(int fps);  // the user changed the fps box
  void playingChanged(bool playing);

 private:
  void updateLabel();
  void step();

  TimelineRuler* m_ruler = nullptr;
  QToolButton* m_play = nullptr;
  QLabel* m_frameLabel = nullptr;
  QSpinBox* m_fps = nullptr;
  QTimer m_timer;
};

}  // namespace ns::ui
