#pragma once
// AddObjectCommand: appends an object (drawn with the box or cut-out tool) to the Project.

#include "ui/commands/project_command.h"

namespace ns::ui {

class AddObjectCommand : public ProjectCommand {
 public:
  AddObjectCommand(ProjectDocument* doc, ProjectObject object);
  const std::string& objectId() const { return m_id; }

 private:
  static Project with(const Project& p, const ProjectObject& o);
  std::string m_id;
};

}  // namespace ns::ui
