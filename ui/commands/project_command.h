#pragma once
// ProjectCommand: the base of every undoable edit. It keeps the Project before and after the
// edit (a small value), so undo restores the exact previous document (byte-identical JSON) and
// redo the exact edited one, whatever the edit was. Commands with the same non-empty merge key
// that follow each other merge into one undo step (a drag, typing in one field).
// UI thread only.

#include <QUndoCommand>

#include "core/plan/project.h"

namespace ns::ui {

class ProjectDocument;

class ProjectCommand : public QUndoCommand {
 public:
  static constexpr int kMergeId = 0x4e53;  // "NS": all mergeable project commands share it

  // `after` is the edited copy of doc->project().
  ProjectCommand(ProjectDocument* doc, const QString& text, Project after, QString mergeKey = {});

  void undo() override;
  void redo() override;
  int id() const override { return m_mergeKey.isEmpty() ? -1 : kMergeId; }
  bool mergeWith(const QUndoCommand* other) override;

  const Project& before() const { return m_before; }
  const Project& after() const { return m_after; }
  const QString& mergeKey() const { return m_mergeKey; }

 protected:
  ProjectDocument* m_doc;
  Project m_before;
  Project m_after;
  QString m_mergeKey;
};

}  // namespace ns::ui
