#include "ui/project_document.h"

#include <QFileInfo>

namespace ns::ui {

QColor colourForName(const std::string& name) {
  const QColor c(QString::fromStdString(name));  // SVG colour names cover the vocabulary's colours
  return c.isValid() ? c : QColor(255, 200, 60);
}

ProjectDocument::ProjectDocument(QObject* parent) : QObject(parent) {
  connect(&m_undo, &QUndoStack::cleanChanged, this, [this](bool) { emit modifiedChanged(isModified()); });
}

void ProjectDocument::reset(Project project, bool modified) {
  const QString oldPath = filePath();
  m_project = std::move(project);
  m_untitledName.clear();
  m_undo.clear();
  m_undo.setClean();
  m_forceModified = modified;
  emit changed();
  emit modifiedChanged(isModified());
  if (filePath() != oldPath) emit filePathChanged(filePath());
}

void ProjectDocument::setProject(const Project& project) {
  const std::string path = m_project.filePath;
  m_project = project;
  m_project.filePath = path;  // undoing past a save must not forget where the file is
  emit changed();
}

QString ProjectDocument::displayName() const {
  if (!m_project.filePath.empty()) return QFileInfo(filePath()).fileName();
  return m_untitledName.isEmpty() ? tr("Untitled") : m_untitledName;
}

Result<void> ProjectDocument::load(const QString& path) {
  Project p;
  if (auto r = p.load(path.toStdString()); !r) return r;
  reset(std::move(p));
  return {};
}

Result<void> ProjectDocument::saveAs(const QString& path) {
  Project copy = m_project;
  if (auto r = copy.save(path.toStdString()); !r) return r;
  // save() may rewrite relative source paths for the new folder: keep what was written.
  const QString oldPath = filePath();
  m_project = std::move(copy);
  m_forceModified = false;
  m_undo.setClean();
  emit modifiedChanged(isModified());
  if (filePath() != oldPath) emit filePathChanged(filePath());
  emit changed();
  return {};
}

std::vector<CanvasObject> ProjectDocument::canvasObjects() const {
  std::vector<CanvasObject> out;
  out.reserve(m_project.objects.size());
  for (const ProjectObject& o : m_project.objects) {
    CanvasObject c;
    c.id = QString::fromStdString(o.id);
    c.label = QString::fromStdString(objectPrompt(o));
    c.colour = o.source.kind == SourceKind::BuiltinShape ? colourForName(o.source.colour) : QColor(120, 220, 255);
    c.trajectory = o.trajectory;
    out.push_back(std::move(c));
  }
  return out;
}

std::string ProjectDocument::newObjectId() const {
  for (int i = 1;; ++i) {
    const std::string id = "obj" + std::to_string(i);
    if (!m_project.findObject(id)) return id;
  }
}

}  // namespace ns::ui
