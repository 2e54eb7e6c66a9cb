#pragma once
// EditProjectCommand: a change to the document's settings (prompt, seed, steps, noise recipe, an
// object's prompt...) made through the docks. `apply` edits a copy of the Project. Consecutive
// edits of one field (merge key) become one undo step, so typing a prompt undoes as a whole.

#include <functional>

#include "ui/commands/project_command.h"

namespace ns::ui {

class EditProjectCommand : public ProjectCommand {
 public:
  EditProjectCommand(ProjectDocument* doc, const QString& text, const std::function<void(Project&)>& apply,
                     QString mergeKey = {});

 private:
  static Project applied(const Project& p, const std::function<void(Project&)>& apply);
};

}  // namespace ns::ui
