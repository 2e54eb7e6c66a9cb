#pragma once
// FarmCliCall: one asynchronous run of `noisestudio-cli --json farm …` (QProcess; the UI thread
// never waits for it). The CLI prints one JSON object on stdout, also on failure
// ({"ok": false, "error": …, "exit_code": 2}); finished() carries it, or a message saying why
// there is none (the CLI missing, killed, not JSON). The call deletes itself after finished().
// Destroyed while the CLI runs (the window closing): a read-only call's CLI is killed; one that
// changes the job (submit, resume, cancel) is waited for, up to a minute, because a CLI killed
// between sbatch and writing the job's state.json would leave tasks nobody can follow or cancel.
// UI thread only.

#include <QJsonObject>
#include <QObject>
#include <QProcess>
#include <QStringList>

namespace ns::ui {

// The CLI the window runs: $NS_CLI_PATH when set (tests), else noisestudio-cli next to this program.
QString farmCliPath();

struct FarmCliResult {
  bool ok = false;    // exit 0 and a JSON object with "ok": true
  int exitCode = -1;  // -1: did not start or crashed
  QJsonObject json;   // the CLI's answer (empty if it printed none)
  QByteArray stdoutBytes;
  QString error;      // when !ok: the CLI's message, else why there was no answer
};

// What a call does to the farm job, so what may happen to it when the window goes.
enum class FarmCliEffect {
  Invalid = 0,
  ReadOnly,    // farm status: killed on destruction
  ChangesJob,  // farm submit / resume / cancel: finishes before the call is destroyed
};

class FarmCliCall : public QObject {
  Q_OBJECT
 public:
  FarmCliCall(const QStringList& arguments, FarmCliEffect effect, QObject* parent);
  ~FarmCliCall() override;
  void start();
  QStringList arguments() const { return m_args; }

 signals:
  void finished(const ns::ui::FarmCliResult& result);

 private:
  void onFinished(int exitCode, QProcess::ExitStatus status);
  void onError(QProcess::ProcessError error);
  void finish(const FarmCliResult& r);

  QStringList m_args;
  FarmCliEffect m_effect = FarmCliEffect::Invalid;
  QProcess* m_process = nullptr;
  bool m_done = false;
};

// Reads what the CLI printed (used by FarmCliCall; public for tests).
FarmCliResult farmCliResultFrom(int exitCode, const QByteArray& out, const QByteArray& err);

}  // namespace ns::ui
