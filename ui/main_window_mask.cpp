// MainWindow: the mask brush. A finished stroke, Invert, Clear and a feather change each become
// one undo step on the Project's edit mask (inversion.mask, saved in the project file); the
// canvas overlay shows the mask of the current frame as the edit will use it (same raster).
#include <QAction>
#include <QActionGroup>
#include <QMenuBar>
#include <QUndoStack>

#include "core/plan/edit_mask.h"
#include "ui/canvas/canvas_scene.h"
#include "ui/canvas/mask_overlay_item.h"
#include "ui/commands/edit_project_command.h"
#include "ui/docks/inversion_dock.h"
#include "ui/docks/mask_brush_panel.h"
#include "ui/main_window.h"
#include "ui/project_document.h"

namespace ns::ui {

void MainWindow::connectMask() {
  MaskBrushPanel* panel = m_inversion->maskPanel();
  auto applyBrush = [this, panel] {
    const MaskBrush b = panel->brush();
    m_scene->setMaskBrush(b.radius, b.erase);
  };
  applyBrush();
  connect(panel, &MaskBrushPanel::brushChanged, this, applyBrush);
  connect(panel, &MaskBrushPanel::overlayToggled, this, [this](bool on) { m_scene->maskOverlay()->setOverlayShown(on); });
  connect(panel, &MaskBrushPanel::invertRequested, this, &MainWindow::invertMask);
  connect(panel, &MaskBrushPanel::clearRequested, this, &MainWindow::clearMask);
  connect(panel, &MaskBrushPanel::featherEdited, this, [this](double fraction) {
    if (m_syncing) return;
    m_doc->undoStack()->push(new EditProjectCommand(
        m_doc, tr("Change mask feather"), [fraction](Project& p) { p.inversion.mask.feather = float(fraction); },
        QStringLiteral("mask:feather")));
  });
  connect(m_scene, &CanvasScene::maskStrokeFinished, this, &MainWindow::onMaskStroke);

  // The Mask menu shows every mask shortcut; the brush tool itself is the tool bar's action.
  QMenu* menu = menuBar()->addMenu(tr("&Mask"));
  for (QAction* a : m_toolGroup->actions())
    if (CanvasTool(a->data().toInt()) == CanvasTool::MaskBrush) menu->addAction(a);
  QAction* erase = menu->addAction(tr("Toggle paint / erase"), this, [panel] { panel->setErase(!panel->brush().erase); });
  erase->setShortcut(QKeySequence(tr("X")));
  QAction* smaller = menu->addAction(tr("Smaller brush"), this, [panel] { panel->growBrush(false); });
  smaller->setShortcut(QKeySequence(tr("[")));
  QAction* larger = menu->addAction(tr("Larger brush"), this, [panel] { panel->growBrush(true); });
  larger->setShortcut(QKeySequence(tr("]")));
  menu->addSeparator();
  QAction* invert = menu->addAction(tr("&Invert mask"), this, &MainWindow::invertMask);
  invert->setShortcut(QKeySequence(tr("Ctrl+I")));
  QAction* clear = menu->addAction(tr("&Clear mask"), this, &MainWindow::clearMask);
  clear->setShortcut(QKeySequence(tr("Ctrl+Shift+M")));
  QAction* show = menu->addAction(tr("&Show mask"));
  show->setCheckable(true);
  show->setChecked(panel->overlayShown());
  show->setShortcut(QKeySequence(tr("Shift+M")));
  connect(show, &QAction::toggled, panel, &MaskBrushPanel::setOverlayShown);
  connect(panel, &MaskBrushPanel::overlayToggled, show, &QAction::setChecked);
}

void MainWindow::onMaskStroke(const QVector<QPointF>& normPoints) {
  if (normPoints.isEmpty()) return;
  const MaskBrush b = m_inversion->maskPanel()->brush();
  MaskOp op;
  op.kind = b.erase ? MaskOpKind::Erase : MaskOpKind::Paint;
  op.frame = b.wholeClip ? -1 : currentFrame();
  op.radius = float(b.radius);
  op.hardness = float(b.hardness);
  for (const QPointF& p : normPoints) op.points.push_back({float(p.x()), float(p.y())});
  // Erasing a mask that does not exist changes nothing the edit would see: no undo step for it.
  if (b.erase && !m_doc->project().inversion.mask.active()) return;
  m_doc->undoStack()->push(new EditProjectCommand(
      m_doc, b.erase ? tr("Erase mask") : tr("Paint mask"), [op](Project& p) { p.inversion.mask.ops.push_back(op); }));
}

void MainWindow::invertMask() {
  MaskOp op;
  op.kind = MaskOpKind::Invert;
  op.frame = m_inversion->maskPanel()->brush().wholeClip ? -1 : currentFrame();
  m_doc->undoStack()->push(
      new EditProjectCommand(m_doc, tr("Invert mask"), [op](Project& p) { p.inversion.mask.ops.push_back(op); }));
}

void MainWindow::clearMask() {
  const EditMask& mask = m_doc->project().inversion.mask;
  if (!mask.active()) return;  // nothing to clear: no empty undo step
  if (m_inversion->maskPanel()->brush().wholeClip) {
    // Whole clip: the mask goes away (inactive: the edit applies everywhere again).
    m_doc->undoStack()->push(
        new EditProjectCommand(m_doc, tr("Clear mask"), [](Project& p) { p.inversion.mask.ops.clear(); }));
    return;
  }
  MaskOp op;
  op.kind = MaskOpKind::Clear;
  op.frame = currentFrame();
  m_doc->undoStack()->push(new EditProjectCommand(m_doc, tr("Clear mask on frame %1").arg(op.frame + 1),
                                                  [op](Project& p) { p.inversion.mask.ops.push_back(op); }));
}

void MainWindow::syncMaskOverlay() {
  const Project& p = m_doc->project();
  m_inversion->maskPanel()->setFeather(p.inversion.mask.feather);
  // The canvas size: the raster the edit job uses, so the overlay is exactly the edit's mask.
  m_scene->maskOverlay()->showMask(p.inversion.mask, p.width, p.height, currentFrame());
}

}  // namespace ns::ui
