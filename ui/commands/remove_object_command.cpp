#include "ui/commands/remove_object_command.h"

#include <QObject>

#include <algorithm>

#include "ui/project_document.h"

namespace ns::ui {

Project RemoveObjectCommand::without(const Project& p, const std::string& id) {
  Project after = p;
  after.objects.erase(std::remove_if(after.objects.begin(), after.objects.end(),
                                     [&id](const ProjectObject& o) { return o.id == id; }),
                      after.objects.end());
  return after;
}

RemoveObjectCommand::RemoveObjectCommand(ProjectDocument* doc, const std::string& objectId)
    : ProjectCommand(doc, QObject::tr("Delete %1").arg(QString::fromStdString(objectId)), without(doc->project(), objectId)) {}

}  // namespace ns::ui
