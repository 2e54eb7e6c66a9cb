#pragma once
// JobProgressBar: the status bar's job indicator: "<stage> step/total · ETA", a progress bar and a
// Cancel button (also Esc through the main window's action). Shows only while a job runs.
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
  void setProgress(int step, int total, double etaSeconds, const QString& stage);
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

}  // namespace ns::ui
