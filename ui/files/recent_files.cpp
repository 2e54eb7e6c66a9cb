#include "ui/files/recent_files.h"

#include <QFileInfo>
#include <QSettings>

namespace ns::ui {

namespace {
const char* kKey = "recentFiles";
}

RecentFiles::RecentFiles(QObject* parent) : QObject(parent) {}

void RecentFiles::add(const QString& path) {
  const QString abs = QFileInfo(path).absoluteFilePath();
  QSettings s;
  QStringList l = s.value(kKey).toStringList();
  l.removeAll(abs);
  l.prepend(abs);
  while (l.size() > kMax) l.removeLast();
  s.setValue(kKey, l);
  emit changed();
}

QStringList RecentFiles::list() const {
  QStringList out;
  for (const QString& p : QSettings().value(kKey).toStringList())
    if (QFileInfo::exists(p)) out << p;
  return out;
}

void RecentFiles::clear() {
  QSettings().remove(kKey);
  emit changed();
}

}  // namespace ns::ui
