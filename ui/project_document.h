#pragma once
// ProjectDocument: the open document. Holds the ns::Project (the single source of truth), its
// QUndoStack and whether it has unsaved changes. Commands (ui/commands/) are the only code that
// changes the Project after it is loaded; every change emits changed() and the window re-syncs
// the canvas, docks and timeline from project(). UI thread only; jobs get copies (snapshots).

#include <QObject>
#include <QString>
#include <QUndoStack>

#include <vector>

#include "core/plan/project.h"
#include "ui/canvas/canvas_object.h"

namespace ns::ui {

class ProjectDocument : public QObject {
  Q_OBJECT
 public:
  explicit ProjectDocument(QObject* parent = nullptr);

  const Project& project() const { return m_project; }
  QUndoStack* undoStack() { return &m_undo; }

  // Replaces the whole document (New, Open, Recover) and clears the undo history. `modified`
  // marks a recovered document as unsaved.
  void reset(Project project, bool modified = false);
  // Commands only: the new state of the Project (the file path is kept).
  void setProject(const Project& project);

  QString filePath() const { return QString::fromStdString(m_project.filePath); }
  QString displayName() const;  // file name, or the untitled name ("Untitled")
  // What an unsaved document is called until it has a file ("Copy of red_ball_on_grass.nsproj"
  // for an opened example); reset() goes back to "Untitled".
  void setUntitledName(const QString& name) { m_untitledName = name; }
  bool isModified() const { return m_forceModified || !m_undo.isClean(); }

  // Loads `path` into the document; on failure the document is exactly as before and the error
  // names the file and field.
  Result<void> load(const QString& path);
  // Saves atomically to `path` (becomes the document's path) and marks it clean.
  Result<void> saveAs(const QString& path);
  std::string jsonText() const { return m_project.toJsonText(); }

  // Canvas view of the objects (id, label, colour, trajectory), in list order.
  std::vector<CanvasObject> canvasObjects() const;
  // A fresh object id ("obj1", "obj2", ...) not used in the project.
  std::string newObjectId() const;

 signals:
  void changed();
  void modifiedChanged(bool modified);
  void filePathChanged(QString path);

 private:
  Project m_project = Project::untitled();  // a new plan: the model paints the background from the prompt
  QUndoStack m_undo;
  bool m_forceModified = false;
  QString m_untitledName;
};

// The outline colour for a vocabulary colour name ("red" -> red); a neutral yellow otherwise.
QColor colourForName(const std::string& name);

}  // namespace ns::ui
