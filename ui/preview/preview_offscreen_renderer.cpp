#include "ui/preview/preview_offscreen_renderer.h"

#include <QVulkanFunctions>
#include <vector>

namespace ns::ui {
namespace {
constexpr uint64_t kFenceTimeoutNs = 10'000'000'000ull;  // a frame that takes 10 s means a lost device
}

PreviewOffscreenRenderer::PreviewOffscreenRenderer(QVulkanInstance* instance, VkPhysicalDevice physicalDevice,
                                                   PreviewScene* scene, PreviewDrawer::FailFn fail)
    : m_instance(instance),
      m_physicalDevice(physicalDevice),
      m_fail(std::move(fail)),
      m_drawer(scene, [this](const QString& reason) { this->fail(reason); }) {}

PreviewOffscreenRenderer::~PreviewOffscreenRenderer() {
  if (!m_device) return;
  m_df->vkDeviceWaitIdle(m_device);
  if (m_drawerMade) m_drawer.release();
  destroyTarget();
  if (m_drawPass) m_df->vkDestroyRenderPass(m_device, m_drawPass, nullptr);
  if (m_clearPass) m_df->vkDestroyRenderPass(m_device, m_clearPass, nullptr);
  if (m_fence) m_df->vkDestroyFence(m_device, m_fence, nullptr);
  if (m_commandPool) m_df->vkDestroyCommandPool(m_device, m_commandPool, nullptr);  // frees m_cmd
  m_df->vkDestroyDevice(m_device, nullptr);
  m_instance->resetDeviceFunctions(m_device);
}

void PreviewOffscreenRenderer::fail(const QString& reason) {
  if (m_failed) return;  // report the first cause only
  m_failed = true;
  m_failure = reason;
  if (m_fail) m_fail(reason);
}

uint32_t PreviewOffscreenRenderer::memoryType(uint32_t typeBits, VkMemoryPropertyFlags props) const {
  return findMemoryType(m_memory, typeBits, props);
}

VkRenderPass PreviewOffscreenRenderer::makeRenderPass(VkAttachmentLoadOp load) {
  VkAttachmentDescription att{};
  att.format = m_format;
  att.samples = VK_SAMPLE_COUNT_1_BIT;
  att.loadOp = load;
  att.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
  att.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  att.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  att.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  // Linear target: the host reads it in place (GENERAL is the layout host reads need). Otherwise
  // it is copied into the readback buffer right after the pass.
  att.finalLayout = m_linear ? VK_IMAGE_LAYOUT_GENERAL : VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
  VkAttachmentReference ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
  VkSubpassDescription sub{};
  sub.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
  sub.colorAttachmentCount = 1;
  sub.pColorAttachments = &ref;
  // What follows the pass (the readback copy, or the host barrier render() records for the
  // linear target) must see the pass's colour writes and its final layout transition.
  VkSubpassDependency dep{};
  dep.srcSubpass = 0;
  dep.dstSubpass = VK_SUBPASS_EXTERNAL;
  dep.srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  dep.srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  dep.dstStageMask = m_linear ? VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT : VK_PIPELINE_STAGE_TRANSFER_BIT;
  dep.dstAccessMask = m_linear ? VkAccessFlags(0) : VkAccessFlags(VK_ACCESS_TRANSFER_READ_BIT);
  VkRenderPassCreateInfo ci{};
  ci.sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO;
  ci.attachmentCount = 1;
  ci.pAttachments = &att;
  ci.subpassCount = 1;
  ci.pSubpasses = &sub;
  ci.dependencyCount = 1;
  ci.pDependencies = &dep;
  VkRenderPass pass = VK_NULL_HANDLE;
  if (m_df->vkCreateRenderPass(m_device, &ci, nullptr, &pass) != VK_SUCCESS) return VK_NULL_HANDLE;
  return pass;
}

bool PreviewOffscreenRenderer::create() {
  QVulkanFunctions* f = m_instance->functions();
  f->vkGetPhysicalDeviceMemoryProperties(m_physicalDevice, &m_memory);
  uint32_t familyCount = 0;
  f->vkGetPhysicalDeviceQueueFamilyProperties(m_physicalDevice, &familyCount, nullptr);
  std::vector<VkQueueFamilyProperties> families(familyCount);
  f->vkGetPhysicalDeviceQueueFamilyProperties(m_physicalDevice, &familyCount, families.data());
  uint32_t family = UINT32_MAX;
  for (uint32_t i = 0; i < familyCount && family == UINT32_MAX; ++i)
    if (families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT) family = i;
  if (family == UINT32_MAX) {
    fail(QString::fromUtf8("Vulkan preview: the device has no graphics queue"));
    return false;
  }
  // B8G8R8A8 is QImage::Format_RGB32 byte for byte on little-endian machines: Qt draws it onto
  // the backing store with a plain copy.
  const struct {
    VkFormat vk;
    QImage::Format qt;
  } formats[] = {{VK_FORMAT_B8G8R8A8_UNORM, QImage::Format_RGB32}, {VK_FORMAT_R8G8B8A8_UNORM, QImage::Format_RGBX8888}};
  for (const auto& fm : formats) {
    VkFormatProperties props;
    f->vkGetPhysicalDeviceFormatProperties(m_physicalDevice, fm.vk, &props);
    if (props.optimalTilingFeatures & VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT) {
      m_format = fm.vk;
      m_imageFormat = fm.qt;
      // A linear target the CPU maps saves the readback copy (lavapipe supports it). Env
      // NS_PREVIEW_FORCE_READBACK=1 takes the copy path anyway (tests).
      m_linear = (props.linearTilingFeatures & VK_FORMAT_FEATURE_COLOR_ATTACHMENT_BIT) &&
                 !qEnvironmentVariableIsSet("NS_PREVIEW_FORCE_READBACK");
      break;
    }
  }
  if (m_format == VK_FORMAT_UNDEFINED) {
    fail(QString::fromUtf8("Vulkan preview: the device cannot render to an 8-bit BGRA/RGBA image"));
    return false;
  }

  const float priority = 1.f;
  VkDeviceQueueCreateInfo qi{};
  qi.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
  qi.queueFamilyIndex = family;
  qi.queueCount = 1;
  qi.pQueuePriorities = &priority;
  VkDeviceCreateInfo di{};
  di.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
  di.queueCreateInfoCount = 1;
  di.pQueueCreateInfos = &qi;
  const VkResult r = f->vkCreateDevice(m_physicalDevice, &di, nullptr, &m_device);
  if (r != VK_SUCCESS) {
    m_device = VK_NULL_HANDLE;
    fail(QString::fromUtf8("Vulkan preview: cannot create a device (VkResult %1)").arg(int(r)));
    return false;
  }
  m_df = m_instance->deviceFunctions(m_device);
  m_df->vkGetDeviceQueue(m_device, family, 0, &m_queue);

  VkCommandPoolCreateInfo pi{};
  pi.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO;
  pi.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pi.queueFamilyIndex = family;
  VkCommandBufferAllocateInfo ai{};
  ai.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO;
  ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ai.commandBufferCount = 1;
  VkFenceCreateInfo fi{};
  fi.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO;
  if (m_df->vkCreateCommandPool(m_device, &pi, nullptr, &m_commandPool) != VK_SUCCESS ||
      (ai.commandPool = m_commandPool, m_df->vkAllocateCommandBuffers(m_device, &ai, &m_cmd) != VK_SUCCESS) ||
      m_df->vkCreateFence(m_device, &fi, nullptr, &m_fence) != VK_SUCCESS) {
    fail(QString::fromUtf8("Vulkan preview: cannot create a command buffer or fence"));
    return false;
  }
  m_drawPass = makeRenderPass(VK_ATTACHMENT_LOAD_OP_DONT_CARE);
  m_clearPass = makeRenderPass(VK_ATTACHMENT_LOAD_OP_CLEAR);
  if (!m_drawPass || !m_clearPass) {
    fail(QString::fromUtf8("Vulkan preview: cannot create the offscreen render passes"));
    return false;
  }
  PreviewTarget t;
  t.instance = m_instance;
  t.physicalDevice = m_physicalDevice;
  t.device = m_device;
  t.drawPass = m_drawPass;
  t.clearPass = m_clearPass;
  t.clearValueCount = 1;
  t.samples = VK_SAMPLE_COUNT_1_BIT;
  t.frameSlots = 1;  // render() waits for each frame
  m_drawerMade = true;
  return m_drawer.create(t) && !m_failed;
}

void PreviewOffscreenRenderer::destroyTarget() {
  if (m_framebuffer) m_df->vkDestroyFramebuffer(m_device, m_framebuffer, nullptr);
  if (m_view) m_df->vkDestroyImageView(m_device, m_view, nullptr);
  if (m_image) m_df->vkDestroyImage(m_device, m_image, nullptr);
  if (m_imageMapped) m_df->vkUnmapMemory(m_device, m_imageMemory);
  if (m_imageMemory) m_df->vkFreeMemory(m_device, m_imageMemory, nullptr);
  if (m_readbackMapped) m_df->vkUnmapMemory(m_device, m_readbackMemory);
  if (m_readback) m_df->vkDestroyBuffer(m_device, m_readback, nullptr);
  if (m_readbackMemory) m_df->vkFreeMemory(m_device, m_readbackMemory, nullptr);
  m_framebuffer = VK_NULL_HANDLE;
  m_view = VK_NULL_HANDLE;
  m_image = VK_NULL_HANDLE;
  m_imageMemory = VK_NULL_HANDLE;
  m_imageMapped = nullptr;
  m_imageRowPitch = 0;
  m_readback = VK_NULL_HANDLE;
  m_readbackMemory = VK_NULL_HANDLE;
  m_readbackMapped = nullptr;
  m_size = QSize();
}

bool PreviewOffscreenRenderer::ensureTarget(QSize pixels) {
  if (m_image && pixels == m_size) return true;
  destroyTarget();  // the last frame's fence was waited for: nothing uses these any more
  const auto bad = [this, pixels](const char* what) {
    destroyTarget();
    fail(QString::fromUtf8("Vulkan preview: cannot allocate the %1x%2 %3").arg(pixels.width()).arg(pixels.height()).arg(QString::fromUtf8(what)));
    return false;
  };
  VkImageCreateInfo ii{};
  ii.sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO;
  ii.imageType = VK_IMAGE_TYPE_2D;
  ii.format = m_format;
  ii.extent = {uint32_t(pixels.width()), uint32_t(pixels.height()), 1};
  ii.mipLevels = 1;
  ii.arrayLayers = 1;
  ii.samples = VK_SAMPLE_COUNT_1_BIT;
  ii.tiling = m_linear ? VK_IMAGE_TILING_LINEAR : VK_IMAGE_TILING_OPTIMAL;
  ii.usage = VkImageUsageFlags(VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT) | (m_linear ? 0u : VkImageUsageFlags(VK_IMAGE_USAGE_TRANSFER_SRC_BIT));
  ii.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  ii.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  if (m_df->vkCreateImage(m_device, &ii, nullptr, &m_image) != VK_SUCCESS) return bad("render target");
  VkMemoryRequirements req;
  m_df->vkGetImageMemoryRequirements(m_device, m_image, &req);
  VkMemoryAllocateInfo ai{};
  ai.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
  ai.allocationSize = req.size;
  // Cached host memory for the linear target: the CPU reads every byte of it (Qt's blit).
  const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  if (m_linear) {
    ai.memoryTypeIndex = memoryType(req.memoryTypeBits, host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
    if (ai.memoryTypeIndex == UINT32_MAX) ai.memoryTypeIndex = memoryType(req.memoryTypeBits, host);
  } else {
    ai.memoryTypeIndex = memoryType(req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    if (ai.memoryTypeIndex == UINT32_MAX) ai.memoryTypeIndex = memoryType(req.memoryTypeBits, 0);
  }
  if (ai.memoryTypeIndex == UINT32_MAX || m_df->vkAllocateMemory(m_device, &ai, nullptr, &m_imageMemory) != VK_SUCCESS ||
      m_df->vkBindImageMemory(m_device, m_image, m_imageMemory, 0) != VK_SUCCESS ||
      (m_linear && m_df->vkMapMemory(m_device, m_imageMemory, 0, VK_WHOLE_SIZE, 0, &m_imageMapped) != VK_SUCCESS))
    return bad("render target");
  if (m_linear) {
    const VkImageSubresource sub{VK_IMAGE_ASPECT_COLOR_BIT, 0, 0};
    VkSubresourceLayout layout{};
    m_df->vkGetImageSubresourceLayout(m_device, m_image, &sub, &layout);
    m_imageMapped = static_cast<char*>(m_imageMapped) + layout.offset;
    m_imageRowPitch = layout.rowPitch;
  }
  VkImageViewCreateInfo vi{};
  vi.sType = VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO;
  vi.image = m_image;
  vi.viewType = VK_IMAGE_VIEW_TYPE_2D;
  vi.format = m_format;
  vi.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
  if (m_df->vkCreateImageView(m_device, &vi, nullptr, &m_view) != VK_SUCCESS) return bad("render target view");
  VkFramebufferCreateInfo fi{};
  fi.sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO;
  fi.renderPass = m_drawPass;  // compatible with m_clearPass (same attachment)
  fi.attachmentCount = 1;
  fi.pAttachments = &m_view;
  fi.width = uint32_t(pixels.width());
  fi.height = uint32_t(pixels.height());
  fi.layers = 1;
  if (m_df->vkCreateFramebuffer(m_device, &fi, nullptr, &m_framebuffer) != VK_SUCCESS) return bad("framebuffer");
  if (m_linear) {
    m_size = pixels;
    return true;
  }

  VkBufferCreateInfo bi{};
  bi.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  bi.size = VkDeviceSize(pixels.width()) * pixels.height() * 4;
  bi.usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  if (m_df->vkCreateBuffer(m_device, &bi, nullptr, &m_readback) != VK_SUCCESS) return bad("readback buffer");
  m_df->vkGetBufferMemoryRequirements(m_device, m_readback, &req);
  ai.allocationSize = req.size;
  ai.memoryTypeIndex = memoryType(req.memoryTypeBits, host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
  if (ai.memoryTypeIndex == UINT32_MAX) ai.memoryTypeIndex = memoryType(req.memoryTypeBits, host);
  if (ai.memoryTypeIndex == UINT32_MAX || m_df->vkAllocateMemory(m_device, &ai, nullptr, &m_readbackMemory) != VK_SUCCESS ||
      m_df->vkBindBufferMemory(m_device, m_readback, m_readbackMemory, 0) != VK_SUCCESS ||
      m_df->vkMapMemory(m_device, m_readbackMemory, 0, VK_WHOLE_SIZE, 0, &m_readbackMapped) != VK_SUCCESS)
    return bad("readback buffer");
  m_size = pixels;
  return true;
}

QImage PreviewOffscreenRenderer::render(QSize pixels, qreal dpr, int* shownFrame) {
  if (shownFrame) *shownFrame = -1;
  if (m_failed || !m_device || pixels.isEmpty() || !ensureTarget(pixels)) return {};
  m_df->vkResetCommandBuffer(m_cmd, 0);
  VkCommandBufferBeginInfo bi{};
  bi.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO;
  bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  m_df->vkBeginCommandBuffer(m_cmd, &bi);
  const int shown = m_drawer.record(m_cmd, m_framebuffer, pixels, dpr, 0);
  if (m_linear) {
    // Make the pass's writes visible to the host reads that follow the fence.
    VkMemoryBarrier b{};
    b.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER;
    b.srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
    b.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    m_df->vkCmdPipelineBarrier(m_cmd, VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &b,
                               0, nullptr, 0, nullptr);
  } else {
    VkBufferImageCopy region{};
    region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    region.imageExtent = {uint32_t(pixels.width()), uint32_t(pixels.height()), 1};
    m_df->vkCmdCopyImageToBuffer(m_cmd, m_image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, m_readback, 1, &region);
    // Make the copy visible to the host reads that follow the fence.
    VkBufferMemoryBarrier b{};
    b.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER;
    b.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    b.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    b.srcQueueFamilyIndex = b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    b.buffer = m_readback;
    b.size = VK_WHOLE_SIZE;
    m_df->vkCmdPipelineBarrier(m_cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0, nullptr, 1, &b, 0,
                               nullptr);
  }
  if (m_df->vkEndCommandBuffer(m_cmd) != VK_SUCCESS || m_failed) {
    fail(QString::fromUtf8("Vulkan preview: cannot record the offscreen frame"));
    return {};
  }
  VkSubmitInfo si{};
  si.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO;
  si.commandBufferCount = 1;
  si.pCommandBuffers = &m_cmd;
  VkResult r = m_df->vkQueueSubmit(m_queue, 1, &si, m_fence);
  if (r == VK_SUCCESS) r = m_df->vkWaitForFences(m_device, 1, &m_fence, VK_TRUE, kFenceTimeoutNs);
  if (r != VK_SUCCESS) {
    fail(QString::fromUtf8("Vulkan preview: the offscreen frame did not finish (VkResult %1)").arg(int(r)));
    return {};
  }
  m_df->vkResetFences(m_device, 1, &m_fence);
  if (shownFrame) *shownFrame = shown;
  if (m_linear)
    return QImage(static_cast<const uchar*>(m_imageMapped), pixels.width(), pixels.height(), qsizetype(m_imageRowPitch),
                  m_imageFormat);
  return QImage(static_cast<const uchar*>(m_readbackMapped), pixels.width(), pixels.height(), pixels.width() * 4,
                m_imageFormat);
}

}  // namespace ns::ui
