#pragma once
// Running the noisestudio-cli binary (NS_CLI_PATH, set by tests/CMakeLists.txt) from the tests in
// tests/app: exit code, stdout and stderr of one run, with a time limit so a hang fails the test
// instead of stalling the suite.

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <string>

namespace clitest {

struct Run {
  int code = -1;  // exit code; -1 when the process crashed or timed out
  std::string out, err;
};

inline Run runCli(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment(),
                  int timeoutMs = 120000) {
  QProcess p;
  p.setProcessEnvironment(env);
  p.start(QString::fromUtf8(NS_CLI_PATH), args);
  Run r;
  if (!p.waitForFinished(timeoutMs)) {
    p.kill();
    p.waitForFinished();
    r.err = "timed out";
    return r;
  }
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = p.readAllStandardOutput().toStdString();
  r.err = p.readAllStandardError().toStdString();
  return r;
}

inline QString q(const std::string& s) { return QString::fromStdString(s); }

}  // namespace clitest
