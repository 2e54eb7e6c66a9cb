#include "ui/commands/project_command.h"

#include "ui/project_document.h"

namespace ns::ui {

ProjectCommand::ProjectCommand(ProjectDocument* doc, const QString& text, Project after, QString mergeKey)
    : QUndoCommand(text), m_doc(doc), m_before(doc->project()), m_after(std::move(after)), m_mergeKey(std::move(mergeKey)) {}

void ProjectCommand::undo() { m_doc->setProject(m_before); }

void ProjectCommand::redo() { m_doc->setProject(m_after); }

bool ProjectCommand::mergeWith(const QUndoCommand* other) {
  const auto* o = dynamic_cast<const ProjectCommand*>(other);
  if (!o || o->m_mergeKey.isEmpty() || o->m_mergeKey != m_mergeKey) return false;
  m_after = o->m_after;  // keep our `before`: the whole gesture undoes in one step
  return true;
}

}  // namespace ns::ui
