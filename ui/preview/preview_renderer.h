#pragma once
// PreviewRenderer: the swap-chain way of showing the preview (GPUs). QVulkanWindow (PreviewWindow)
// owns it and calls it on the UI thread; the drawing itself (uploads, pipelines, colour maps) is
// PreviewDrawer's. Owns only the render pass it draws with.

#include <QVulkanWindowRenderer>

#include "ui/preview/preview_drawer.h"

namespace ns::ui {

class PreviewWindow;

class PreviewRenderer : public QVulkanWindowRenderer {
 public:
  PreviewRenderer(PreviewWindow* window, PreviewScene* scene);
  ~PreviewRenderer() override;

  void initResources() override;
  void initSwapChainResources() override;
  void releaseSwapChainResources() override;
  void releaseResources() override;
  void startNextFrame() override;

  // Number of slot uploads done so far (tests check that unchanged frames are not re-uploaded).
  int uploadCount() const { return m_drawer.uploadCount(); }

 private:
  void createRenderPass();

  PreviewWindow* m_window;
  PreviewDrawer m_drawer;
  // Compatible with QVulkanWindow's default render pass but without its clears (the triangle
  // writes every pixel); null when multisampling, then the default pass is used.
  VkRenderPass m_renderPass = VK_NULL_HANDLE;
};

}  // namespace ns::ui
