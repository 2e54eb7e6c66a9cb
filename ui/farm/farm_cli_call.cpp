#include "ui/farm/farm_cli_call.h"

#include <QCoreApplication>
#include <QDir>
#include <QJsonDocument>

namespace ns::ui {

QString farmCliPath() {
  const QString env = qEnvironmentVariable("NS_CLI_PATH");
  if (!env.isEmpty()) return env;
  return QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("noisestudio-cli"));
}

FarmCliResult farmCliResultFrom(int exitCode, const QByteArray& out, const QByteArray& err) {
  FarmCliResult r;
  r.exitCode = exitCode;
  r.stdoutBytes = out;
  QJsonParseError pe{};
  const QJsonDocument doc = QJsonDocument::fromJson(out, &pe);
  if (doc.isObject()) r.json = doc.object();
  r.ok = exitCode == 0 && r.json.value(QStringLiteral("ok")).toBool(false);
  if (r.ok) return r;
  // The CLI's own words first; its stderr ("noisestudio-cli: error: …") when stdout had no JSON.
  r.error = r.json.value(QStringLiteral("error")).toString();
  if (r.error.isEmpty()) {
    const QStringList lines = QString::fromUtf8(err).trimmed().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    r.error = lines.isEmpty() ? QString() : lines.last().trimmed();
    r.error.remove(QStringLiteral("noisestudio-cli: error: "));
  }
  if (r.error.isEmpty())
    r.error = exitCode == 0 ? QObject::tr("the CLI's answer is not JSON (%1)").arg(pe.errorString())
                            : QObject::tr("noisestudio-cli exited with %1").arg(exitCode);
  return r;
}

FarmCliCall::FarmCliCall(const QStringList& arguments, FarmCliEffect effect, QObject* parent)
    : QObject(parent), m_args(arguments), m_effect(effect) {}

FarmCliCall::~FarmCliCall() {
  if (!m_process || m_process->state() == QProcess::NotRunning) return;
  m_process->disconnect(this);
  // A status poll can go; a submit/resume/cancel must not stop between Slurm and its state file.
  if (m_effect != FarmCliEffect::ChangesJob || !m_process->waitForFinished(60000)) m_process->kill();
  m_process->waitForFinished(2000);
}

void FarmCliCall::start() {
  m_process = new QProcess(this);
  m_process->setProgram(farmCliPath());
  m_process->setArguments(m_args);
  connect(m_process, &QProcess::finished, this, &FarmCliCall::onFinished);
  connect(m_process, &QProcess::errorOccurred, this, &FarmCliCall::onError);
  m_process->start();
}

void FarmCliCall::onFinished(int exitCode, QProcess::ExitStatus status) {
  const QByteArray out = m_process->readAllStandardOutput();
  const QByteArray err = m_process->readAllStandardError();
  if (status == QProcess::CrashExit) {
    FarmCliResult r = farmCliResultFrom(-1, out, err);
    r.ok = false;
    r.error = tr("noisestudio-cli %1 crashed").arg(m_args.mid(1, 2).join(QLatin1Char(' ')));
    finish(r);
    return;
  }
  finish(farmCliResultFrom(exitCode, out, err));
}

void FarmCliCall::onError(QProcess::ProcessError error) {
  // Crashes and timeouts also end in finished(); only a failed start never does.
  if (error != QProcess::FailedToStart) return;
  FarmCliResult r;
  r.error = tr("cannot run %1: %2").arg(QDir::toNativeSeparators(m_process->program()), m_process->errorString());
  finish(r);
}

void FarmCliCall::finish(const FarmCliResult& r) {
  if (m_done) return;
  m_done = true;
  emit finished(r);
  deleteLater();
}

}  // namespace ns::ui
