// MainWindow: the Plan menu — parts the model paints (core/engine/model_planning.h). Each choice
// is one undo step on the Project; the next render (or Live preview) plans what changed, shows
// the planning renders and then the new sketch as its preview, and reuses every unchanged part
// from the plan cache. The canvas shows each object's picture in its box (ObjectSprites: a
// model-painted object's sprite as soon as the model has painted it, an image object's picture),
// and a picture dropped on an object's box becomes that object's picture.
#include <QAction>
#include <QDir>
#include <QFileInfo>
#include <QImageReader>
#include <QMenuBar>
#include <QRandomGenerator>
#include <QUndoStack>

#include <algorithm>

#include "core/media/image_header.h"
#include "ui/canvas/box_item.h"
#include "ui/canvas/canvas_scene.h"
#include "ui/canvas/canvas_view.h"
#include "ui/commands/edit_project_command.h"
#include "ui/files/drop_classifier.h"
#include "ui/main_window.h"
#include "ui/plan/object_sprites.h"
#include "ui/project_document.h"

namespace ns::ui {

namespace {
uint64_t freshSeed() { return QRandomGenerator::global()->generate64(); }

// The object `id` drawn from the picture at `path` (its alpha, if any, is its shape): one undo step.
void setObjectImage(ProjectDocument* doc, const std::string& id, const QString& path, const QString& undoText) {
  doc->undoStack()->push(new EditProjectCommand(doc, undoText, [id, path](Project& p) {
    for (ProjectObject& o : p.objects)
      if (o.id == id) {
        o.prompt = objectPrompt(o);
        o.source = ObjectSource{};
        o.source.kind = SourceKind::ImageWithAlpha;
        o.source.path = path.toStdString();
      }
  }));
}
}  // namespace

void MainWindow::syncObjectSprites() {
  if (!m_sprites) return;  // a sync while the window is still being built
  const QHash<QString, QImage> sprites = m_sprites->spritesFor(m_doc->project());
  for (const ProjectObject& o : m_doc->project().objects) {
    const QString id = QString::fromStdString(o.id);
    if (BoxItem* box = m_scene->boxItem(id)) box->setSprite(sprites.value(id));
  }
}

bool MainWindow::dropImageOnObject(const QString& path, QPoint windowPos) {
  if (classifyDrop(path) != DropKind::Image) return false;
  const QPoint inView = m_view->viewport()->mapFrom(this, windowPos);
  if (!m_view->viewport()->rect().contains(inView)) return false;
  const QPointF at = m_view->mapToScene(inView);
  QString id;
  for (QGraphicsItem* item : m_scene->items(at))  // topmost first
    if (auto* box = dynamic_cast<BoxItem*>(item); box && box->box().contains(at)) {
      id = box->id();
      break;
    }
  if (id.isEmpty()) return false;
  // The drop was meant for this object: a picture that cannot be read is refused here (the banner
  // names the file) and the object stays as it was.
  const std::string file = QDir::toNativeSeparators(path).toStdString();
  auto header = media::probeImageFile(file);
  if (header.ok()) {
    if (auto fits = media::checkImageHeader(*header, media::defaultImageLimits(), file); !fits.ok()) header = fits.error();
  }
  if (!header.ok()) {
    showError(QString::fromStdString(header.error().message));
    return true;
  }
  QImageReader reader(path);
  if (const QSize s = reader.size(); s.isValid() && std::max(s.width(), s.height()) > 1024)
    reader.setScaledSize(s.scaled(1024, 1024, Qt::KeepAspectRatio));
  if (reader.read().isNull()) {
    showError(tr("%1: cannot read the image (%2)").arg(QDir::toNativeSeparators(path), reader.errorString()));
    return true;
  }
  setObjectImage(m_doc, id.toStdString(), QFileInfo(path).absoluteFilePath(), tr("Object from a dropped image"));
  return true;
}

void MainWindow::buildPlanMenu() {
  m_sprites = new ObjectSprites(m_jobs, this);
  m_sprites->setObjectName(QStringLiteral("objectSprites"));
  connect(m_sprites, &ObjectSprites::spritesArrived, this, &MainWindow::syncObjectSprites);
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
    setObjectImage(m_doc, id, path, tr("Object from an image"));
  });
  objImage->setObjectName(QStringLiteral("objectFromImageAction"));
}

}  // namespace ns::ui
