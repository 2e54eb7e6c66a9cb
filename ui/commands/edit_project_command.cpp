#include "ui/commands/edit_project_command.h"

#include "ui/project_document.h"

namespace ns::ui {

Project EditProjectCommand::applied(const Project& p, const std::function<void(Project&)>& apply) {
  Project after = p;
  apply(after);
  return after;
}

EditProjectCommand::EditProjectCommand(ProjectDocument* doc, const QString& text,
                                       const std::function<void(Project&)>& apply, QString mergeKey)
    : ProjectCommand(doc, text, applied(doc->project(), apply), std::move(mergeKey)) {}

}  // namespace ns::ui
