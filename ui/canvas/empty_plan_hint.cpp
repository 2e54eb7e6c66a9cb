#include "ui/canvas/empty_plan_hint.h"

#include <QEvent>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>

#include "ui/canvas/canvas_scene.h"

namespace ns::ui {

EmptyPlanHint::EmptyPlanHint(CanvasScene* scene, QWidget* viewport, QMenu* examples)
    : QFrame(viewport), m_scene(scene) {
  setObjectName(QStringLiteral("emptyPlanHint"));
  setFrameShape(QFrame::StyledPanel);
  setAutoFillBackground(true);  // readable over the checkerboard / grey canvas
  auto* column = new QVBoxLayout(this);
  column->setContentsMargins(18, 14, 18, 14);
  auto* title = new QLabel(tr("<b>Start a plan</b>"), this);
  column->addWidget(title);

  m_drawBox = new QPushButton(tr("Draw a box  (B)"), this);
  m_drawBox->setObjectName(QStringLiteral("hintDrawBox"));
  m_drawBox->setToolTip(tr("Choose the Box tool, then drag on the canvas: each box is an object that moves "
                           "along its keyframes"));
  m_openMedia = new QPushButton(tr("Open a photo or clip…  (Ctrl+O)"), this);
  m_openMedia->setObjectName(QStringLiteral("hintOpenMedia"));
  m_openMedia->setToolTip(tr("A photo or video to invert and edit (you can also drop one anywhere on the window)"));
  m_examples = new QToolButton(this);
  m_examples->setObjectName(QStringLiteral("hintExamples"));
  m_examples->setText(tr("Open an example"));
  m_examples->setToolTip(tr("Open a copy of one of the example projects (File → Open Example)"));
  m_examples->setPopupMode(QToolButton::InstantPopup);
  m_examples->setToolButtonStyle(Qt::ToolButtonTextOnly);
  m_examples->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  m_examples->setMenu(examples);
  m_examples->setEnabled(examples && !examples->isEmpty());
  column->addWidget(m_drawBox);
  column->addWidget(m_openMedia);
  column->addWidget(m_examples);
  auto* more = new QLabel(tr("…or drop a photo here, or just type a prompt in Properties\nand press Render (Ctrl+R)."), this);
  column->addWidget(more);
  // Text only: a press on the panel's background or text is not taken (QWidget ignores it), so
  // it reaches the canvas underneath and a box can be drawn starting there.
  for (QLabel* l : {title, more}) l->setTextInteractionFlags(Qt::NoTextInteraction);

  connect(m_drawBox, &QPushButton::clicked, this, &EmptyPlanHint::drawBoxRequested);
  connect(m_openMedia, &QPushButton::clicked, this, &EmptyPlanHint::openMediaRequested);
  connect(scene, &CanvasScene::emptinessChanged, this, &EmptyPlanHint::follow);
  viewport->installEventFilter(this);
  follow(scene->showsNothing());
}

bool EmptyPlanHint::eventFilter(QObject* watched, QEvent* event) {
  if (watched == parent() && event->type() == QEvent::Resize) recentre();
  return QFrame::eventFilter(watched, event);
}

void EmptyPlanHint::follow(bool showsNothing) {
  setVisible(showsNothing);
  if (showsNothing) recentre();
}

void EmptyPlanHint::recentre() {
  auto* viewport = parentWidget();
  if (!viewport) return;
  adjustSize();
  move((viewport->width() - width()) / 2, (viewport->height() - height()) / 2);
}

}  // namespace ns::ui
