#pragma once
// RecentFiles: the File ▸ Open Recent list, kept in QSettings ("recentFiles"), newest first,
// at most kMax entries, files that no longer exist dropped when listed. UI thread only.

#include <QObject>
#include <QStringList>

namespace ns::ui {

class RecentFiles : public QObject {
  Q_OBJECT
 public:
  static constexpr int kMax = 8;
  explicit RecentFiles(QObject* parent = nullptr);

  void add(const QString& path);
  QStringList list() const;
  void clear();

 signals:
  void changed();
};

}  // namespace ns::ui
