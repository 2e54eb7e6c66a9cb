#pragma once
// RemoveObjectCommand: deletes an object (Delete key) from the Project.

#include "ui/commands/project_command.h"

namespace ns::ui {

class RemoveObjectCommand : public ProjectCommand {
 public:
  RemoveObjectCommand(ProjectDocument* doc, const std::string& objectId);

 private:
  static Project without(const Project& p, const std::string& id);
};

}  // namespace ns::ui
