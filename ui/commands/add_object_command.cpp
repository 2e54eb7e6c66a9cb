#include "ui/commands/add_object_command.h"

#include <QObject>

#include "ui/project_document.h"

namespace ns::ui {

Project AddObjectCommand::with(const Project& p, const ProjectObject& o) {
  Project after = p;
  after.objects.push_back(o);
  return after;
}

AddObjectCommand::AddObjectCommand(ProjectDocument* doc, ProjectObject object)
    : ProjectCommand(doc, QObject::tr("Add %1").arg(QString::fromStdString(objectPrompt(object))), with(doc->project(), object)),
      m_id(object.id) {}

}  // namespace ns::ui
