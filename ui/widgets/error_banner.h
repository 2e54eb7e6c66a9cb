#pragma once
// ErrorBanner: a non-blocking, dismissable message strip shown at the top of the canvas. Job
// failures and file errors land here (never swallowed, never a modal dialog). Repeated messages
// while it is open are counted, the newest text is shown. UI thread only.

#include <QFrame>

class QLabel;
class QToolButton;

namespace ns::ui {

class ErrorBanner : public QFrame {
  Q_OBJECT
 public:
  explicit ErrorBanner(QWidget* parent = nullptr);

  void showError(const QString& message);
  QString message() const { return m_message; }
  int count() const { return m_count; }  // messages since it was last dismissed

 public slots:
  void dismiss();

 signals:
  void dismissed();

 private:
  QLabel* m_label = nullptr;
  QToolButton* m_close = nullptr;
  QString m_message;
  int m_count = 0;
};

}  // namespace ns::ui
