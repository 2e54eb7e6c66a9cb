#include "ui/files/recovery_store.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QStandardPaths>

namespace ns::ui {

namespace {
Result<void> writeAtomically(const QString& path, const QByteArray& bytes) {
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit())
    return makeError(ErrorKind::Io, QStringLiteral("%1: cannot write the recovery file (%2)").arg(path, f.errorString()).toStdString());
  return {};
}
}  // namespace

RecoveryStore::RecoveryStore(QString dir) : m_dir(std::move(dir)) {
  if (m_dir.isEmpty())
    m_dir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/recovery");
}

QString RecoveryStore::projectFile() const { return QDir(m_dir).filePath(QStringLiteral("recovery.nsproj")); }

Result<void> RecoveryStore::write(const std::string& projectJson, const QString& originalPath) {
  if (!QDir().mkpath(m_dir))
    return makeError(ErrorKind::Io, QStringLiteral("%1: cannot create the recovery folder").arg(m_dir).toStdString());
  QJsonObject meta;
  meta[QStringLiteral("original_path")] = originalPath;
  meta[QStringLiteral("saved_at")] = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
  // Project first: a crash between the two writes leaves a project without fresh metadata, which
  // still recovers (the metadata only names the original file).
  if (auto r = writeAtomically(projectFile(), QByteArray::fromStdString(projectJson)); !r) return r;
  return writeAtomically(QDir(m_dir).filePath(QStringLiteral("recovery.json")), QJsonDocument(meta).toJson());
}

bool RecoveryStore::exists() const { return QFile::exists(projectFile()); }

Result<RecoveryStore::Entry> RecoveryStore::read() const {
  QFile f(projectFile());
  if (!f.open(QIODevice::ReadOnly))
    return makeError(ErrorKind::Io, QStringLiteral("%1: cannot read the recovery file").arg(projectFile()).toStdString());
  Entry e;
  e.projectJson = f.readAll().toStdString();
  QFile m(QDir(m_dir).filePath(QStringLiteral("recovery.json")));
  if (m.open(QIODevice::ReadOnly)) {
    const QJsonObject meta = QJsonDocument::fromJson(m.readAll()).object();
    e.originalPath = meta.value(QStringLiteral("original_path")).toString();
    e.savedAt = QDateTime::fromString(meta.value(QStringLiteral("saved_at")).toString(), Qt::ISODateWithMs);
  }
  return e;
}

void RecoveryStore::clear() {
  QFile::remove(projectFile());
  QFile::remove(QDir(m_dir).filePath(QStringLiteral("recovery.json")));
}

}  // namespace ns::ui
