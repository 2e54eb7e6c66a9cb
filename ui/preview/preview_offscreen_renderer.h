#pragma once
// PreviewOffscreenRenderer: the offscreen way of showing the preview, for Vulkan devices that
// rasterise on the CPU (lavapipe/llvmpipe, VK_PHYSICAL_DEVICE_TYPE_CPU). Their swap chain on
// Mesa 22's X11 WSI has no shared memory: every present sends the whole frame through the X socket
// (measured: ~17 ms of X server time per 1024² frame under Xvfb, making a redraw 30× slower than
// QPainter's). Here PreviewDrawer draws into an offscreen image that Qt's backing store presents
// (with MIT-SHM): a linear image in host memory, handed to Qt as a QImage in place, where the device
// can render to one (lavapipe can); otherwise an optimal image copied into a mapped buffer.
//
// Owns its own VkDevice (on the instance PreviewWidget made), queue, command buffer, fence, render
// target and readback buffer. Synchronous: render() submits and waits (a CPU device runs the work
// on its own threads either way). UI thread only.

#include <QImage>
#include <QSize>
#include <QString>
#include <QVulkanInstance>
#include <memory>

#include "ui/preview/preview_drawer.h"

class QVulkanDeviceFunctions;

namespace ns::ui {

class PreviewOffscreenRenderer {
 public:
  PreviewOffscreenRenderer(QVulkanInstance* instance, VkPhysicalDevice physicalDevice, PreviewScene* scene,
                           PreviewDrawer::FailFn fail);
  ~PreviewOffscreenRenderer();
  PreviewOffscreenRenderer(const PreviewOffscreenRenderer&) = delete;
  PreviewOffscreenRenderer& operator=(const PreviewOffscreenRenderer&) = delete;

  // Makes the device and everything that does not depend on the view size. False (reported
  // through `fail`) when the device cannot draw.
  bool create();
  // Draws the scene at `pixels` (device pixels, device pixel ratio `dpr`). The image (RGB32 or
  // RGBX8888) points into the mapped target or readback buffer and stays valid until the next
  // render(); null on failure. `shownFrame` gets the frame index drawn (-1: nothing but the background).
  QImage render(QSize pixels, qreal dpr, int* shownFrame);

  int uploadCount() const { return m_drawer.uploadCount(); }
  VkDevice device() const { return m_device; }
  bool failed() const { return m_failed; }
  // The host reads the render target in place (no readback copy).
  bool readsTargetInPlace() const { return m_linear; }
  QString failure() const { return m_failure; }  // the first failure's message

 private:
  bool ensureTarget(QSize pixels);
  void destroyTarget();
  VkRenderPass makeRenderPass(VkAttachmentLoadOp load);
  uint32_t memoryType(uint32_t typeBits, VkMemoryPropertyFlags props) const;
  void fail(const QString& reason);

  QVulkanInstance* m_instance;
  VkPhysicalDevice m_physicalDevice;
  PreviewDrawer::FailFn m_fail;
  PreviewDrawer m_drawer;
  QVulkanDeviceFunctions* m_df = nullptr;
  VkPhysicalDeviceMemoryProperties m_memory{};
  VkDevice m_device = VK_NULL_HANDLE;
  VkQueue m_queue = VK_NULL_HANDLE;
  VkCommandPool m_commandPool = VK_NULL_HANDLE;
  VkCommandBuffer m_cmd = VK_NULL_HANDLE;
  VkFence m_fence = VK_NULL_HANDLE;
  VkFormat m_format = VK_FORMAT_UNDEFINED;
  QImage::Format m_imageFormat = QImage::Format_Invalid;
  VkRenderPass m_drawPass = VK_NULL_HANDLE;   // loads nothing
  VkRenderPass m_clearPass = VK_NULL_HANDLE;  // clears to the background
  bool m_drawerMade = false;
  bool m_linear = false;  // linear, host-mapped render target (see readsTargetInPlace)
  bool m_failed = false;
  QString m_failure;
  // Size-dependent: the render target and (not linear) the buffer it is read back into.
  QSize m_size;
  VkImage m_image = VK_NULL_HANDLE;
  VkDeviceMemory m_imageMemory = VK_NULL_HANDLE;
  void* m_imageMapped = nullptr;  // linear target: its first pixel
  VkDeviceSize m_imageRowPitch = 0;
  VkImageView m_view = VK_NULL_HANDLE;
  VkFramebuffer m_framebuffer = VK_NULL_HANDLE;
  VkBuffer m_readback = VK_NULL_HANDLE;
  VkDeviceMemory m_readbackMemory = VK_NULL_HANDLE;
  void* m_readbackMapped = nullptr;
};

}  // namespace ns::ui
