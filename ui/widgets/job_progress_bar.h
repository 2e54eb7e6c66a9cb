#pragma once
// JobProgressBar: the status bar's job indicator: "<stage> step/total · 2.4 s/step · ETA 1 min 05 s",
// a progress bar and a Cancel button (also Esc through the main window's action). Shows only while
// a job runs. Seconds per step and the ETA appear once a step of the stage has been timed.
// UI thread only; fed from JobController's signals by MainWindow.

#include <QWidget>

class QLabel;
class QProgressBar;
class QToolButton;

namespace ns::ui {

class JobProgressBar : public QWidget {
  Q_OBJECT
 public:
  explicit JobProgressBar(QWidget* parent = nullptr);

  void begin(const QString& what);
  // secondsPerStep <= 0: not known yet (not shown).
  void setProgress(int step, int total, double etaSeconds, const QString& stage, double secondsPerStep = 0);
  void end();
  QString text() const;
  int value() const;
  int maximum() const;

 signals:
  void cancelRequested();

 private:
  QLabel* m_label = nullptr;
  QProgressBar* m_bar = nullptr;
  QToolButton* m_cancel = nullptr;
  QString m_what;
};

// "12 s", "1 min 05 s" — short ETA text for the status bar.
QString formatEta(double seconds);
// "0.42 s/step", "2.4 s/step", "14 s/step" — two significant digits up to 10 s.
QString formatSecondsPerStep(double seconds);

}  // namespace ns::ui
