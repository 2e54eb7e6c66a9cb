#include "ui/preview/preview_window.h"

#include <QMouseEvent>
#include <QWheelEvent>

#include "ui/preview/preview_renderer.h"

namespace ns::ui {

PreviewWindow::PreviewWindow(PreviewScene* scene) : m_scene(scene) {
  // UNORM first: the shader writes final display values and the tests compare bytes; an sRGB
  // swap chain would re-encode them.
  setPreferredColorFormats({VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_R8G8B8A8_UNORM});
}

QVulkanWindowRenderer* PreviewWindow::createRenderer() {
  m_renderer = new PreviewRenderer(this, m_scene);
  return m_renderer;
}

void PreviewWindow::mousePressEvent(QMouseEvent* e) { emit mousePressed(e->position(), e->button(), e->modifiers()); }
void PreviewWindow::mouseMoveEvent(QMouseEvent* e) { emit mouseMoved(e->position(), e->buttons()); }
void PreviewWindow::mouseReleaseEvent(QMouseEvent* e) { emit mouseReleased(e->position(), e->button()); }
void PreviewWindow::wheelEvent(QWheelEvent* e) { emit wheelTurned(e->position(), e->angleDelta().y()); }

bool PreviewWindow::event(QEvent* e) {
  if (e->type() == QEvent::Leave) emit pointerLeft();
  return QVulkanWindow::event(e);
}

}  // namespace ns::ui
