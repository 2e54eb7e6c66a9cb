#include "ui/files/example_projects.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

#include <algorithm>

#include "core/plan/project.h"

namespace ns::ui {

QString exampleProjectsDir() {
  QStringList candidates;
  if (const QString env = qEnvironmentVariable("NS_EXAMPLES_DIR"); !env.isEmpty()) candidates << env;
  // An installed tree: bin/noisestudio next to share/noisestudio/examples (packaging/CMakeLists.txt).
  candidates << QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("../share/noisestudio/examples"));
  if (const QString src = qEnvironmentVariable("NS_SOURCE_DIR"); !src.isEmpty()) candidates << QDir(src).filePath(QStringLiteral("examples"));
  candidates << QStringLiteral(NS_SOURCE_DIR "/examples");
  for (const QString& c : candidates)
    if (QFileInfo(c).isDir()) return QDir::cleanPath(QFileInfo(c).absoluteFilePath());
  return {};
}

bool isInExamplesDir(const QString& path) {
  const QString dir = exampleProjectsDir();
  if (dir.isEmpty() || path.isEmpty()) return false;
  const QString canonicalDir = QFileInfo(dir).canonicalFilePath();
  const QString folder = QFileInfo(QFileInfo(path).absolutePath()).canonicalFilePath();
  return !canonicalDir.isEmpty() && folder == canonicalDir;
}

namespace {
// "red_ball_on_grass" -> "Red ball on grass".
QString titleFromStem(QString stem) {
  stem.replace(QLatin1Char('_'), QLatin1Char(' '));
  if (!stem.isEmpty()) stem[0] = stem[0].toUpper();
  return stem;
}
}  // namespace

std::vector<ExampleProject> listExampleProjects(const QString& dir) {
  std::vector<ExampleProject> out;
  if (dir.isEmpty()) return out;
  const QFileInfoList files = QDir(dir).entryInfoList({QStringLiteral("*.nsproj")}, QDir::Files | QDir::Readable, QDir::Name);
  for (const QFileInfo& f : files) {
    ExampleProject e;
    e.path = f.absoluteFilePath();
    e.title = titleFromStem(f.completeBaseName());
    // Read now (a few small files) so the menu can say what each one shows, and so a broken
    // example is visibly disabled instead of failing only when chosen.
    auto project = Project::open(QDir::toNativeSeparators(e.path).toStdString());
    if (project) {
      e.readable = true;
      e.description = QCoreApplication::translate("ExampleProjects", "%1 — %2 frames, %3×%4")
                          .arg(QString::fromStdString(fullPrompt(*project)))
                          .arg(project->frames)
                          .arg(project->width)
                          .arg(project->height);
    } else {
      e.description = QString::fromStdString(project.error().message);
    }
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const ExampleProject& a, const ExampleProject& b) { return a.title < b.title; });
  return out;
}

}  // namespace ns::ui
