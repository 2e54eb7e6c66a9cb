#pragma once
// RecoveryStore: the autosave of the open document, for crash recovery. MainWindow writes the
// Project's JSON here every minute while there are unsaved changes and clears it on a clean save or
// exit; at start-up a leftover file means the last session did not end cleanly, and the user is
// offered to recover it. Folder: QStandardPaths::AppDataLocation/recovery (or the one given).
// Files: recovery.nsproj (the project JSON) and recovery.json (original path, time). Writes are
// atomic (QSaveFile). UI thread only.

#include <QDateTime>
#include <QString>

#include <string>

#include "core/util/result.h"

namespace ns::ui {

class RecoveryStore {
 public:
  explicit RecoveryStore(QString dir = {});  // empty = the default folder

  struct Entry {
    std::string projectJson;
    QString originalPath;  // "" for a never-saved document
    QDateTime savedAt;
  };

  Result<void> write(const std::string& projectJson, const QString& originalPath);
  bool exists() const;
  Result<Entry> read() const;
  void clear();
  QString dir() const { return m_dir; }
  QString projectFile() const;

 private:
  QString m_dir;
};

}  // namespace ns::ui
