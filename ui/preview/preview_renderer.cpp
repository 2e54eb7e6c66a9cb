#include "ui/preview/preview_renderer.h"

#include <QVulkanFunctions>

#include "ui/preview/preview_window.h"

namespace ns::ui {

PreviewRenderer::PreviewRenderer(PreviewWindow* window, PreviewScene* scene)
    : m_window(window), m_drawer(scene, [window](const QString& reason) {
        // Queued: the widget swaps to the fallback view, which must not happen inside a Vulkan callback.
        QMetaObject::invokeMethod(window, [window, reason] { emit window->failed(reason); }, Qt::QueuedConnection);
      }) {}

PreviewRenderer::~PreviewRenderer() {
  if (m_window->m_renderer == this) m_window->m_renderer = nullptr;
}

void PreviewRenderer::createRenderPass() {
  if (m_window->sampleCountFlagBits() != VK_SAMPLE_COUNT_1_BIT) return;
  // Same attachments (formats, samples) as the default pass, so its framebuffers and this pass
  // are compatible; only the load/store ops differ. Clearing 1024² colour + depth every frame is
  // two full-frame memsets on lavapipe.
  VkAttachmentDescription att[2]{};
  att[0].format = m_window->colorFormat();
  att[0].samples = VK_SAMPLE_COUNT_1_BIT;
  att[0].loadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  att[0].storeOp = VK_ATTACHMENT_STORE_OP_STORE;
  att[0].stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  att[0].stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  att[0].initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  att[0].finalLayout = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR;  // what QVulkanWindow presents (and grabs) from
  att[1].format = m_window->depthStencilFormat();
  att[1].samples = VK_SAMPLE_COUNT_1_BIT;
  att[1].loadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  att[1].storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  att[1].stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  att[1].stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  att[1].initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  att[1].finalLayout = VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL;
  VkAttachmentReference colorRef{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
  VkAttachmentReference depthRef{1, VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL};
  VkSubpassDescription sub{};
  sub.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
  sub.colorAttachmentCount = 1;
  sub.pColorAttachments = &colorRef;
  sub.pDepthStencilAttachment = &depthRef;
  VkRenderPassCreateInfo ci{};
  ci.sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO;
  ci.attachmentCount = 2;
  ci.pAttachments = att;
  ci.subpassCount = 1;
  ci.pSubpasses = &sub;
  QVulkanDeviceFunctions* df = m_window->vulkanInstance()->deviceFunctions(m_window->device());
  if (df->vkCreateRenderPass(m_window->device(), &ci, nullptr, &m_renderPass) != VK_SUCCESS) m_renderPass = VK_NULL_HANDLE;
}

void PreviewRenderer::initResources() {
  createRenderPass();
  PreviewTarget t;
  t.instance = m_window->vulkanInstance();
  t.physicalDevice = m_window->physicalDevice();
  t.device = m_window->device();
  t.clearPass = m_window->defaultRenderPass();
  t.drawPass = m_renderPass ? m_renderPass : t.clearPass;
  t.samples = m_window->sampleCountFlagBits();
  t.clearValueCount = t.samples > VK_SAMPLE_COUNT_1_BIT ? 3 : 2;  // colour, depth[, resolve]
  t.frameSlots = m_window->concurrentFrameCount();
  m_drawer.create(t);
}

void PreviewRenderer::initSwapChainResources() {}
void PreviewRenderer::releaseSwapChainResources() {}

void PreviewRenderer::startNextFrame() {
  const int shown = m_drawer.record(m_window->currentCommandBuffer(), m_window->currentFramebuffer(),
                                    m_window->swapChainImageSize(), m_window->devicePixelRatio(), m_window->currentFrame());
  m_window->frameReady();
  if (shown >= 0) emit m_window->frameRendered(shown);
}

void PreviewRenderer::releaseResources() {
  m_drawer.release();
  if (m_renderPass) {
    m_window->vulkanInstance()->deviceFunctions(m_window->device())->vkDestroyRenderPass(m_window->device(), m_renderPass, nullptr);
    m_renderPass = VK_NULL_HANDLE;
  }
}

}  // namespace ns::ui
