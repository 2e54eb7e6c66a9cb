// MainWindow: canvas gestures and dock edits -> undoable commands on the Project.
#include <QUndoStack>

#include "core/model/vocabulary.h"
#include "ui/canvas/canvas_scene.h"
#include "ui/commands/add_object_command.h"
#include "ui/commands/edit_project_command.h"
#include "ui/commands/remove_object_command.h"
#include "ui/commands/set_keyframe_command.h"
#include "ui/docks/noise_dock.h"
#include "ui/docks/properties_dock.h"
#include "ui/jobs/engine_jobs.h"
#include "ui/jobs/job_controller.h"
#include "ui/main_window.h"
#include "ui/project_document.h"
#include "ui/widgets/timeline_widget.h"

namespace ns::ui {

void MainWindow::connectCanvas() {
  connect(m_scene, &CanvasScene::boxDrawn, this, [this](NormBox b) { onBoxDrawn(b, false); });
  connect(m_scene, &CanvasScene::cutOutDrawn, this, [this](NormBox b) { onBoxDrawn(b, true); });
  connect(m_scene, &CanvasScene::boxEditStarted, this, [this](const QString&) { ++m_dragSerial; });
  connect(m_scene, &CanvasScene::boxEdited, this, &MainWindow::onBoxEdited);
  connect(m_scene, &CanvasScene::centreClicked, this, &MainWindow::onCentreClicked);
  connect(m_scene, &CanvasScene::selectedObjectChanged, this, [this](const QString&) { syncFromProject(); });
  connect(m_properties, &PropertiesDock::edited, this, &MainWindow::onPropertiesEdited);
  connect(m_properties, &PropertiesDock::objectEdited, this, [this](const QString& field) {
    const std::string id = m_scene->selectedId().toStdString();
    if (id.empty() || m_syncing) return;
    const ObjectValues v = m_properties->objectValues();
    m_doc->undoStack()->push(new EditProjectCommand(
        m_doc, tr("Change %1 of %2").arg(field, QString::fromStdString(id)),
        [id, field, v](Project& p) {
          for (ProjectObject& o : p.objects) {
            if (o.id != id) continue;
            if (field == QLatin1String("objectPrompt")) o.prompt = v.prompt.toStdString();
            if (field == QLatin1String("shape")) o.source.shape = v.shape.toStdString();
            if (field == QLatin1String("colour")) o.source.colour = v.colour.toStdString();
          }
        },
        QStringLiteral("object:%1:%2").arg(QString::fromStdString(id), field)));
    afterEdit();
  });
  connect(m_noise, &NoiseDock::edited, this, &MainWindow::onNoiseEdited);
  connect(m_timeline, &TimelineWidget::fpsEdited, this, [this](int fps) {
    if (m_syncing) return;
    m_doc->undoStack()->push(new EditProjectCommand(
        m_doc, tr("Change fps"), [fps](Project& p) { p.fps = fps; }, QStringLiteral("field:fps")));
  });
}

void MainWindow::onBoxDrawn(const NormBox& box, bool cutOut) {
  const Project& p = m_doc->project();
  ProjectObject o;
  o.id = m_doc->newObjectId();
  if (cutOut) {
    if (m_sourcePath.isEmpty()) {
      showError(tr("Cut-out: drop a photo on the window first, then drag over the part to cut out."));
      return;
    }
    o.source.kind = SourceKind::CutOut;
    o.source.path = m_sourcePath.toStdString();
    o.source.sourceBox = box;
  } else {
    // New boxes cycle through the vocabulary's colours so neighbours are told apart.
    const auto& colours = Vocabulary::colours();
    o.source.kind = SourceKind::BuiltinShape;
    o.source.shape = Vocabulary::shapes().front();
    o.source.colour = colours[p.objects.size() % colours.size()];
  }
  int z = 0;
  for (const ProjectObject& other : p.objects) z = std::max(z, other.z + 1);
  o.z = z;
  Keyframe k;
  k.frame = currentFrame();
  k.box = box;
  o.trajectory.setKey(k);
  const QString id = QString::fromStdString(o.id);
  m_doc->undoStack()->push(new AddObjectCommand(m_doc, std::move(o)));
  m_scene->selectObject(id);
  afterEdit();
}

void MainWindow::onBoxEdited(const QString& id, const NormBox& box, bool finished) {
  m_doc->undoStack()->push(new SetKeyframeCommand(m_doc, id.toStdString(), currentFrame(), box, m_dragSerial));
  if (finished) afterEdit();
}

void MainWindow::onCentreClicked(const QString& id, QPointF centre) {
  const ProjectObject* o = m_doc->project().findObject(id.toStdString());
  if (!o) return;
  const NormBox b = o->trajectory.boxAt(currentFrame());
  const float hw = b.width() / 2, hh = b.height() / 2;
  const NormBox moved{float(centre.x()) - hw, float(centre.y()) - hh, float(centre.x()) + hw, float(centre.y()) + hh};
  m_doc->undoStack()->push(new SetKeyframeCommand(m_doc, id.toStdString(), currentFrame(), moved, ++m_dragSerial));
  afterEdit();
}

void MainWindow::onPropertiesEdited(const QString& field) {
  if (m_syncing) return;
  const RenderValues v = m_properties->values();
  m_doc->undoStack()->push(new EditProjectCommand(
      m_doc, tr("Change %1").arg(field),
      [field, v](Project& p) {
        if (field == QLatin1String("prompt")) p.prompt = v.prompt.toStdString();
        else if (field == QLatin1String("negativePrompt")) p.negativePrompt = v.negativePrompt.toStdString();
        else if (field == QLatin1String("seed")) p.seed = v.seed;
        else if (field == QLatin1String("steps")) p.render.steps = v.steps;
        else if (field == QLatin1String("guidance")) p.render.cfg = v.guidance;
        else if (field == QLatin1String("noiseRatio")) p.render.noiseRatio = v.noiseRatio;
        else if (field == QLatin1String("inversionSkip")) p.inversion.skip = v.inversionSkip;
        else if (field == QLatin1String("method")) p.render.method = v.method;
        else if (field == QLatin1String("size")) p.width = v.width, p.height = v.height;
      },
      QStringLiteral("field:%1").arg(field)));
  afterEdit();
}

void MainWindow::onNoiseEdited(const QString& field) {
  if (m_syncing) return;
  const NoiseValues v = m_noise->values();
  m_doc->undoStack()->push(new EditProjectCommand(
      m_doc, tr("Change noise %1").arg(field),
      [v](Project& p) {
        p.noise.kind = v.recipe;
        p.noise.degradation = v.degradation;
        p.noise.window = v.window;
        p.noise.stride = v.stride;
      },
      QStringLiteral("noise:%1").arg(field)));
  afterEdit();
}

void MainWindow::deleteSelected() {
  const QString id = m_scene->selectedId();
  if (id.isEmpty()) return;
  m_doc->undoStack()->push(new RemoveObjectCommand(m_doc, id.toStdString()));
  afterEdit();
}

void MainWindow::afterEdit() {
  if (!m_live) return;
  // A few steps of the current frame: enough to judge the layout, cheap enough to redo often.
  requestLivePreview();
}

void MainWindow::setLiveMode(bool on) {
  m_live = on;
  if (m_liveAction && m_liveAction->isChecked() != on) m_liveAction->setChecked(on);
  if (on) afterEdit();
}

}  // namespace ns::ui
