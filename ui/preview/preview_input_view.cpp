#include "ui/preview/preview_input_view.h"

#include <QMouseEvent>
#include <QWheelEvent>

namespace ns::ui {

PreviewInputView::PreviewInputView(QWidget* parent) : QWidget(parent) {
  setMouseTracking(true);  // the pixel inspector follows the pointer without a button
  setAttribute(Qt::WA_OpaquePaintEvent);  // every paint covers the whole view
}

void PreviewInputView::mousePressEvent(QMouseEvent* e) { emit mousePressed(e->position(), e->button(), e->modifiers()); }
void PreviewInputView::mouseMoveEvent(QMouseEvent* e) { emit mouseMoved(e->position(), e->buttons()); }
void PreviewInputView::mouseReleaseEvent(QMouseEvent* e) { emit mouseReleased(e->position(), e->button()); }
void PreviewInputView::wheelEvent(QWheelEvent* e) { emit wheelTurned(e->position(), e->angleDelta().y()); }
void PreviewInputView::leaveEvent(QEvent*) { emit pointerLeft(); }

}  // namespace ns::ui
