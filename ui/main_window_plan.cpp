// MainWindow: the Plan menu — parts the model paints (core/engine/model_planning.h). Each choice
// is one undo step on the Project; the next render (or Live preview) plans what changed, shows
// the planning renders and then the new sketch as its preview, and reuses every unchanged part
// from the plan cache.
#include <QAction>
#include <QMenuBar>
#include <QRandomGenerator>
#include <QUndoStack>

#include "ui/canvas/canvas_scene.h"
#include "ui/commands/edit_project_command.h"
#include "ui/main_window.h"
#include "ui/project_document.h"

namespace ns::ui {

namespace {
uint64_t freshSeed() { return QRandomGenerator::global()->generate64(); }
}  // namespace

void MainWindow::buildPlanMenu() {
  QMenu* menu = menuBar()->addMenu(tr("&Plan"));
  QAction* background = menu->addAction(tr("Background from the &prompt (model)"), this, [this] {
    m_doc->undoStack()->push(new EditProjectCommand(m_doc, tr("Background from the prompt"), [](Project& p) {
      p.background = Project::untitled().background;
    }));
  });
  background->setToolTip(tr("The model paints the background from the prompt (without the objects' prompts)"));
  QAction* reroll = menu->addAction(tr("&Re-roll background"), this, [this] {
    const uint64_t seed = freshSeed();
    m_doc->undoStack()->push(new EditProjectCommand(m_doc, tr("Re-roll background"), [seed](Project& p) {
      if (p.background.kind != BackgroundKind::Generate) p.background = Project::untitled().background;
      p.background.seed = seed;
    }));
  });
  reroll->setObjectName(QStringLiteral("rerollBackgroundAction"));
  reroll->setShortcut(QKeySequence(tr("Ctrl+Shift+B")));
  reroll->setToolTip(tr("A new model-painted background (a new seed for it; the render's own noise stays)"));
  menu->addSeparator();
  QAction* paint = menu->addAction(tr("Paint selected object with the &model"), this, [this] {
    const std::string id = m_scene->selectedId().toStdString();
    if (id.empty()) return;
    m_doc->undoStack()->push(new EditProjectCommand(m_doc, tr("Paint object with the model"), [id](Project& p) {
      for (ProjectObject& o : p.objects)
        if (o.id == id && o.source.kind != SourceKind::Generate) {
          o.prompt = objectPrompt(o);  // what the model paints: keep the words the object had
          o.source.kind = SourceKind::Generate;
          o.source.seed.reset();
        }
    }));
  });
  paint->setObjectName(QStringLiteral("paintObjectWithModelAction"));
  paint->setToolTip(tr("The model paints the selected object from its prompt and it is cut out as its sprite"));
  QAction* rerollObject = menu->addAction(tr("Re-roll selected &object"), this, [this] {
    const std::string id = m_scene->selectedId().toStdString();
    if (id.empty()) return;
    const uint64_t seed = freshSeed();
    m_doc->undoStack()->push(new EditProjectCommand(m_doc, tr("Re-roll object"), [id, seed](Project& p) {
      for (ProjectObject& o : p.objects)
        if (o.id == id && o.source.kind == SourceKind::Generate) o.source.seed = seed;
    }));
  });
  rerollObject->setObjectName(QStringLiteral("rerollObjectAction"));
  rerollObject->setShortcut(QKeySequence(tr("Ctrl+Shift+O")));
  QAction* flat = menu->addAction(tr("Selected object as a &flat shape"), this, [this] {
    const std::string id = m_scene->selectedId().toStdString();
    if (id.empty()) return;
    m_doc->undoStack()->push(new EditProjectCommand(m_doc, tr("Object as a flat shape"), [id](Project& p) {
      for (ProjectObject& o : p.objects)
        if (o.id == id && o.source.kind == SourceKind::Generate) {
          o.source.kind = SourceKind::BuiltinShape;  // shape and colour kept from before (or the defaults)
          o.source.seed.reset();
        }
    }));
  });
  flat->setToolTip(tr("Draw the selected object as its flat vocabulary shape again"));
  menu->addSeparator();
  // Replacing a model-painted part with a picture of one's own: the background with an image,
  // the selected object with an image (its alpha, if any, is the object's shape).
  const QString images = tr("Images (*.png *.jpg *.jpeg *.bmp *.webp)");
  QAction* bgImage = menu->addAction(tr("Background from an &image…"), this, [this, images] {
    const QString path = openFileDialog(tr("Background image"), images);
    if (path.isEmpty()) return;
    m_doc->undoStack()->push(new EditProjectCommand(m_doc, tr("Background from an image"), [path](Project& p) {
      p.background = Background{};
      p.background.kind = BackgroundKind::ImageFile;
      p.background.path = path.toStdString();
    }));
  });
  bgImage->setObjectName(QStringLiteral("backgroundFromImageAction"));
  QAction* objImage = menu->addAction(tr("Selected object from an image…"), this, [this, images] {
    const std::string id = m_scene->selectedId().toStdString();
    if (id.empty()) return;
    const QString path = openFileDialog(tr("Object image"), images);
    if (path.isEmpty()) return;
    m_doc->undoStack()->push(new EditProjectCommand(m_doc, tr("Object from an image"), [id, path](Project& p) {
      for (ProjectObject& o : p.objects)
        if (o.id == id) {
          o.prompt = objectPrompt(o);
          o.source = ObjectSource{};
          o.source.kind = SourceKind::ImageWithAlpha;
          o.source.path = path.toStdString();
        }
    }));
  });
  objImage->setObjectName(QStringLiteral("objectFromImageAction"));
}

}  // namespace ns::ui
