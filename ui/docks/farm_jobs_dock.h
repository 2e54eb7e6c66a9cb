#pragma once
// FarmJobsDock: the farm jobs this user submitted from the window (or added), each an output
// folder OUT. Every few seconds it asks `noisestudio-cli --json farm status OUT` (one process per
// job at a time, never on the UI thread's time) and shows the job's state and, per chunk, pending /
// running with progress / done / failed with the tail of its log. Resume and Cancel run
// `farm resume|cancel OUT`; Open result hands OUT/<name>.mp4 to the window once the merge is done.
// The list of OUT folders is remembered across restarts (QSettings "farm/jobs"). CLI errors go out
// through failed() (the window's banner), a poll error once per distinct message. UI thread only.

#include <QDockWidget>
#include <QTimer>

#include <functional>
#include <memory>
#include <vector>

#include "ui/farm/farm_status_view.h"

class QJsonObject;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace ns::ui {

class FarmCliCall;
struct FarmCliResult;

class FarmJobsDock : public QDockWidget {
  Q_OBJECT
 public:
  explicit FarmJobsDock(QWidget* parent = nullptr);
  ~FarmJobsDock() override;

  void addJob(const QString& outDir);     // remembered, shown, polled at once; a known OUT is just selected
  void removeJob(const QString& outDir);  // forgets it (files stay)
  QStringList jobs() const;
  const FarmStatusView* statusOf(const QString& outDir) const;  // null until a poll answered
  QString pollErrorOf(const QString& outDir) const;             // the last poll's error, "" if it answered
  int pollsInFlight() const;
  void setPollInterval(int ms);
  void selectJob(const QString& outDir);
  QString selectedJob() const;
  // OUT/<name>.mp4 (name from OUT/farm/settings.json); "" when the merge has not written it.
  QString resultPath(const QString& outDir) const;
  // What a poll does with the CLI's answer: false (and the error in the row and the banner) when
  // it is not a farm status. Public so tests can show states a poll here cannot reach (running).
  bool applyStatus(const QString& outDir, const QJsonObject& statusJson);

  QTreeWidget* tree() const { return m_tree; }
  QPlainTextEdit* logView() const { return m_log; }
  QPushButton* resumeButton() const { return m_resume; }
  QPushButton* cancelButton() const { return m_cancel; }
  QPushButton* openButton() const { return m_open; }
  QPushButton* forgetButton() const { return m_forget; }
  QPushButton* followButton() const { return m_follow; }
  // Asks for a job folder to follow (one submitted by `noisestudio-cli farm submit`); tests replace
  // it. Default: a folder dialog. "" = cancelled.
  std::function<QString()> chooseJobFolder;

 public slots:
  void pollNow();  // every job without a poll under way, finished ones too
  void resumeSelected();
  void cancelSelected();
  void openSelected();

 signals:
  void failed(const QString& message);
  void openResultRequested(const QString& path);
  void polled(const QString& outDir);  // a poll of OUT answered (or failed) and the view is updated

 private:
  struct Job;
  Job* find(const QString& outDir) const;
  void poll(Job& job);
  void onPolled(const QString& outDir, const FarmCliResult& r);
  void showPollResult(Job& job, const FarmStatusView* view, const QString& error);
  void runAction(const QString& verb);
  void render(Job& job);
  void updateSelection();
  void saveList() const;

  std::vector<std::unique_ptr<Job>> m_jobs;
  QTreeWidget* m_tree = nullptr;
  QPlainTextEdit* m_log = nullptr;
  QPushButton* m_resume = nullptr;
  QPushButton* m_cancel = nullptr;
  QPushButton* m_open = nullptr;
  QPushButton* m_forget = nullptr;
  QPushButton* m_follow = nullptr;
  QTimer m_timer;
};

}  // namespace ns::ui
