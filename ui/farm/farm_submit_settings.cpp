#include "ui/farm/farm_submit_settings.h"

#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryFile>

#include "ui/farm/farm_cli_call.h"

namespace ns::ui {

namespace {
const char* kGroup = "farm/submit";

// The deepest existing folder on the way to `path` (itself when it exists); "" if none.
QString nearestExisting(const QString& path) {
  QFileInfo fi(path);
  while (!fi.exists()) {
    const QString parent = fi.absolutePath();
    if (parent == fi.absoluteFilePath()) return {};
    fi = QFileInfo(parent);
  }
  return fi.absoluteFilePath();
}

// Whether files can be created in the folder, by creating one: access() says yes to root on a
// read-only mount point or /proc, where creating still fails.
bool canCreateIn(const QString& dir) {
  QTemporaryFile probe(QDir(dir).filePath(QStringLiteral(".ns-farm-probe-XXXXXX")));
  return probe.open();
}

QString checkOutDir(const QString& out) {
  if (out.trimmed().isEmpty()) return QObject::tr("Choose an output folder for the frames, the video and the job files.");
  const QString shown = QDir::toNativeSeparators(out);
  if (QDir::isRelativePath(out)) return QObject::tr("Output folder %1: give an absolute path (the nodes must see the same path).").arg(shown);
  const QString existing = nearestExisting(out);
  if (existing.isEmpty()) return QObject::tr("Output folder %1: no part of the path exists.").arg(shown);
  if (!QFileInfo(existing).isDir())
    return QObject::tr("Output folder %1: %2 is a file, not a folder.").arg(shown, QDir::toNativeSeparators(existing));
  if (!canCreateIn(existing))
    return QObject::tr("Output folder %1: %2 is not writable.").arg(shown, QDir::toNativeSeparators(existing));
  if (QFileInfo::exists(QDir(out).filePath(QStringLiteral("farm/settings.json"))))
    return QObject::tr("Output folder %1 already holds a farm job: choose another folder (Farm jobs → Follow… shows the old one).")
        .arg(shown);
  return {};
}
}  // namespace

FarmSubmitSettings FarmSubmitSettings::load() {
  QSettings q;
  q.beginGroup(QString::fromLatin1(kGroup));
  FarmSubmitSettings s;
  s.engine = q.value(QStringLiteral("engine"), s.engine).toString();
  s.chunk = q.value(QStringLiteral("chunk"), s.chunk).toInt();
  s.partition = q.value(QStringLiteral("partition")).toString();
  s.cpusPerTask = q.value(QStringLiteral("cpusPerTask"), 0).toInt();
  s.gpusPerTask = q.value(QStringLiteral("gpusPerTask"), 0).toInt();
  s.mem = q.value(QStringLiteral("mem")).toString();
  s.time = q.value(QStringLiteral("time")).toString();
  s.maxParallel = q.value(QStringLiteral("maxParallel"), 0).toInt();
  s.model = q.value(QStringLiteral("model")).toString();
  s.outDir = q.value(QStringLiteral("outDir")).toString();
  return s;
}

void FarmSubmitSettings::save() const {
  QSettings q;
  q.beginGroup(QString::fromLatin1(kGroup));
  q.setValue(QStringLiteral("engine"), engine);
  q.setValue(QStringLiteral("chunk"), chunk);
  q.setValue(QStringLiteral("partition"), partition);
  q.setValue(QStringLiteral("cpusPerTask"), cpusPerTask);
  q.setValue(QStringLiteral("gpusPerTask"), gpusPerTask);
  q.setValue(QStringLiteral("mem"), mem);
  q.setValue(QStringLiteral("time"), time);
  q.setValue(QStringLiteral("maxParallel"), maxParallel);
  q.setValue(QStringLiteral("model"), model);
  q.setValue(QStringLiteral("outDir"), outDir);
}

QStringList FarmSubmitSettings::cliArguments(const QString& projectPath) const {
  QStringList a{QStringLiteral("--json"), QStringLiteral("farm"), QStringLiteral("submit"), projectPath,
                QStringLiteral("--engine"), engine, QStringLiteral("--chunk"), QString::number(chunk)};
  // Unset fields are left out so the CLI (and Slurm) apply their own defaults.
  auto opt = [&a](const char* flag, const QString& v) {
    if (!v.trimmed().isEmpty()) a << QString::fromLatin1(flag) << v.trimmed();
  };
  auto num = [&a](const char* flag, int v) {
    if (v > 0) a << QString::fromLatin1(flag) << QString::number(v);
  };
  opt("--partition", partition);
  num("--cpus-per-task", cpusPerTask);
  num("--gpus-per-task", gpusPerTask);
  opt("--mem", mem);
  opt("--time", time);
  num("--max-parallel", maxParallel);
  opt("--model", model);
  a << QStringLiteral("-o") << outDir;
  return a;
}

QString validateFarmSubmit(const FarmSubmitSettings& s, const QString& projectPath, bool projectModified) {
  if (projectPath.isEmpty())
    return QObject::tr("Save the project first (File → Save): the farm renders the saved project file.");
  if (projectModified)
    return QObject::tr("%1 has unsaved changes: save it first, the farm renders the file on disk.")
        .arg(QDir::toNativeSeparators(projectPath));
  if (!QFileInfo(projectPath).isFile())
    return QObject::tr("%1: the project file is gone; save it again.").arg(QDir::toNativeSeparators(projectPath));
  if (s.engine != QLatin1String("slurm")) return QObject::tr("Engine %1: the only engine is slurm.").arg(s.engine);
  if (s.chunk < 1) return QObject::tr("Chunk size %1: a chunk must hold at least 1 frame.").arg(s.chunk);
  if (s.cpusPerTask < 0 || s.gpusPerTask < 0 || s.maxParallel < 0)
    return QObject::tr("CPUs, GPUs per task and max parallel must not be negative.");
  static const QRegularExpression token(QStringLiteral("^[A-Za-z0-9_.-]+$"));
  if (!s.partition.trimmed().isEmpty() && !token.match(s.partition.trimmed()).hasMatch())
    return QObject::tr("Partition '%1' is not a partition name.").arg(s.partition);
  static const QRegularExpression size(QStringLiteral("^[0-9]+[KMGTkmgt]?$"));
  if (!s.mem.trimmed().isEmpty() && !size.match(s.mem.trimmed()).hasMatch())
    return QObject::tr("Memory '%1' is not a Slurm size (e.g. 8G or 512M).").arg(s.mem);
  // Slurm's forms: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, and UNLIMITED.
  static const QRegularExpression time(
      QStringLiteral("^([0-9]+(:[0-9]{1,2}){0,2}|[0-9]+-[0-9]{1,2}(:[0-9]{1,2}){0,2}|UNLIMITED|unlimited|INFINITE|infinite)$"));
  if (!s.time.trimmed().isEmpty() && !time.match(s.time.trimmed()).hasMatch())
    return QObject::tr("Time limit '%1' is not a Slurm time (e.g. 01:00:00 or 2-00:00:00).").arg(s.time);
  if (!s.model.trimmed().isEmpty() && !QFileInfo::exists(s.model.trimmed()))
    return QObject::tr("Model %1: not found.").arg(QDir::toNativeSeparators(s.model.trimmed()));
  if (QStandardPaths::findExecutable(QStringLiteral("sbatch")).isEmpty())
    return QObject::tr("sbatch not found on PATH: install Slurm's client (Debian: slurm-client) or load its "
                       "environment module, then start NoiseStudio from that shell.");
  const QString cli = farmCliPath();
  if (!QFileInfo(cli).isExecutable())
    return QObject::tr("noisestudio-cli not found at %1 (it is installed next to NoiseStudio; NS_CLI_PATH overrides).")
        .arg(QDir::toNativeSeparators(cli));
  return checkOutDir(s.outDir);
}

}  // namespace ns::ui
