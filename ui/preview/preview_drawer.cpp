#include "ui/preview/preview_drawer.h"

#include <QFile>
#include <QVulkanFunctions>
#include <algorithm>
#include <cstring>

#include "ui/preview/reference_render.h"
#include "ui/preview/rgb_pack.h"

namespace ns::ui {
namespace {

constexpr float kBackgroundGrey = 0.16f;
// Map id of RGB packed to RGBA8 words (shaders/preview.frag); ColourMap's values are 1..3.
constexpr int kPackedRgbMap = 4;

}  // namespace

// Push constants; layout matches `Params` in shaders/preview.frag (vec4/ivec4 only: no padding).
struct PreviewDrawer::PushConstants {
  float xform[4];
  float size01[4];
  float size2[4];
  int32_t maps[4];
  int32_t layers[4];
  float mparam[4];
  float weights[4];
};

PreviewDrawer::PreviewDrawer(PreviewScene* scene, FailFn fail) : m_scene(scene), m_fail(std::move(fail)) {}

PreviewDrawer::~PreviewDrawer() = default;  // the owner calls release() while the device lives

void PreviewDrawer::fail(const QString& reason) {
  m_failed = true;
  if (m_fail) m_fail(reason);
}

uint32_t findMemoryType(const VkPhysicalDeviceMemoryProperties& memory, uint32_t typeBits, VkMemoryPropertyFlags props) {
  for (uint32_t i = 0; i < memory.memoryTypeCount; ++i)
    if ((typeBits & (1u << i)) && (memory.memoryTypes[i].propertyFlags & props) == props) return i;
  return UINT32_MAX;
}

uint32_t PreviewDrawer::memoryType(uint32_t typeBits, VkMemoryPropertyFlags props) const {
  return findMemoryType(m_memory, typeBits, props);
}

VkShaderModule PreviewDrawer::loadShader(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return VK_NULL_HANDLE;
  const QByteArray code = f.readAll();
  VkShaderModuleCreateInfo ci{};
  ci.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO;
  ci.codeSize = size_t(code.size());
  ci.pCode = reinterpret_cast<const uint32_t*>(code.constData());
  VkShaderModule m = VK_NULL_HANDLE;
  if (m_devFuncs->vkCreateShaderModule(m_device, &ci, nullptr, &m) != VK_SUCCESS) return VK_NULL_HANDLE;
  return m;
}

bool PreviewDrawer::create(const PreviewTarget& target) {
  m_target = target;
  m_device = target.device;
  m_devFuncs = target.instance->deviceFunctions(m_device);
  m_failed = false;
  QVulkanFunctions* f = target.instance->functions();
  f->vkGetPhysicalDeviceMemoryProperties(target.physicalDevice, &m_memory);
  VkPhysicalDeviceProperties props;
  f->vkGetPhysicalDeviceProperties(target.physicalDevice, &props);
  m_maxStorageBufferRange = props.limits.maxStorageBufferRange;
  // NS_PREVIEW_FORCE_STAGING=1 takes the discrete-GPU upload path on unified memory too (tests).
  m_directUpload = !qEnvironmentVariableIsSet("NS_PREVIEW_FORCE_STAGING");

  VkDescriptorSetLayoutBinding b[3]{};
  for (uint32_t i = 0; i < 3; ++i) {
    b[i].binding = i;
    b[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    b[i].descriptorCount = 1;
    b[i].stageFlags = VK_SHADER_STAGE_FRAGMENT_BIT;
  }
  VkDescriptorSetLayoutCreateInfo li{};
  li.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO;
  li.bindingCount = 3;
  li.pBindings = b;
  if (m_devFuncs->vkCreateDescriptorSetLayout(m_device, &li, nullptr, &m_setLayout) != VK_SUCCESS) {
    fail(QString::fromUtf8("Vulkan preview: cannot create a descriptor set layout"));
    return false;
  }

  const int frames = std::max(1, target.frameSlots);
  VkDescriptorPoolSize ps{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, uint32_t(3 * frames)};
  VkDescriptorPoolCreateInfo pi{};
  pi.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
  pi.maxSets = uint32_t(frames);
  pi.poolSizeCount = 1;
  pi.pPoolSizes = &ps;
  if (m_devFuncs->vkCreateDescriptorPool(m_device, &pi, nullptr, &m_descriptorPool) != VK_SUCCESS) {
    fail(QString::fromUtf8("Vulkan preview: cannot create a descriptor pool"));
    return false;
  }

  m_frames.assign(size_t(frames), FrameResources{});
  for (auto& fr : m_frames) {
    VkDescriptorSetAllocateInfo ai{};
    ai.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO;
    ai.descriptorPool = m_descriptorPool;
    ai.descriptorSetCount = 1;
    ai.pSetLayouts = &m_setLayout;
    if (m_devFuncs->vkAllocateDescriptorSets(m_device, &ai, &fr.descriptorSet) != VK_SUCCESS) {
      fail(QString::fromUtf8("Vulkan preview: cannot allocate descriptor sets"));
      return false;
    }
  }

  VkPushConstantRange pcr{VK_SHADER_STAGE_FRAGMENT_BIT, 0, sizeof(PushConstants)};
  VkPipelineLayoutCreateInfo pli{};
  pli.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO;
  pli.setLayoutCount = 1;
  pli.pSetLayouts = &m_setLayout;
  pli.pushConstantRangeCount = 1;
  pli.pPushConstantRanges = &pcr;
  if (m_devFuncs->vkCreatePipelineLayout(m_device, &pli, nullptr, &m_pipelineLayout) != VK_SUCCESS) {
    fail(QString::fromUtf8("Vulkan preview: cannot create the pipeline layout"));
    return false;
  }

  VkPipelineCacheCreateInfo pci{};
  pci.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO;
  m_devFuncs->vkCreatePipelineCache(m_device, &pci, nullptr, &m_pipelineCache);
  m_vertShader = loadShader(QStringLiteral(":/shaders/preview.vert.spv"));
  m_fragShader = loadShader(QStringLiteral(":/shaders/preview.frag.spv"));
  if (!m_vertShader || !m_fragShader) {
    fail(QString::fromUtf8("Vulkan preview: shaders :/shaders/preview.{vert,frag}.spv missing or invalid"));
    return false;
  }
  pipeline({0, kPackedRgbMap, 1, int(ColourMap::Rgb), 1, int(ColourMap::Rgb), 1});  // the common case, made up front
  return !m_failed;
}

VkPipeline PreviewDrawer::pipeline(const PipelineKey& key) {
  auto it = m_pipelines.find(key);
  if (it != m_pipelines.end()) return it->second;
  if (!m_vertShader || !m_fragShader || !m_pipelineLayout) return VK_NULL_HANDLE;
  VkSpecializationMapEntry entries[7];
  for (uint32_t i = 0; i < 7; ++i) entries[i] = {i, uint32_t(i * sizeof(int)), sizeof(int)};
  VkSpecializationInfo spec{7, entries, sizeof(int) * 7, key.data()};
  VkShaderModule vert = m_vertShader, frag = m_fragShader;
  VkPipelineShaderStageCreateInfo stages[2]{};
  stages[0].sType = stages[1].sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
  stages[0].stage = VK_SHADER_STAGE_VERTEX_BIT;
  stages[0].module = vert;
  stages[0].pName = "main";
  stages[1].stage = VK_SHADER_STAGE_FRAGMENT_BIT;
  stages[1].module = frag;
  stages[1].pName = "main";
  stages[1].pSpecializationInfo = &spec;

  VkPipelineVertexInputStateCreateInfo vi{};
  vi.sType = VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO;
  VkPipelineInputAssemblyStateCreateInfo ia{};
  ia.sType = VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO;
  ia.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST;
  VkPipelineViewportStateCreateInfo vp{};
  vp.sType = VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO;
  vp.viewportCount = vp.scissorCount = 1;
  VkPipelineRasterizationStateCreateInfo rs{};
  rs.sType = VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO;
  rs.polygonMode = VK_POLYGON_MODE_FILL;
  rs.cullMode = VK_CULL_MODE_NONE;
  rs.frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE;
  rs.lineWidth = 1.0f;
  VkPipelineMultisampleStateCreateInfo ms{};
  ms.sType = VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO;
  ms.rasterizationSamples = m_target.samples;
  VkPipelineDepthStencilStateCreateInfo ds{};
  ds.sType = VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO;
  VkPipelineColorBlendAttachmentState att{};
  att.colorWriteMask = 0xF;
  VkPipelineColorBlendStateCreateInfo cb{};
  cb.sType = VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO;
  cb.attachmentCount = 1;
  cb.pAttachments = &att;
  VkDynamicState dyn[] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
  VkPipelineDynamicStateCreateInfo dy{};
  dy.sType = VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO;
  dy.dynamicStateCount = 2;
  dy.pDynamicStates = dyn;

  VkGraphicsPipelineCreateInfo gi{};
  gi.sType = VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO;
  gi.stageCount = 2;
  gi.pStages = stages;
  gi.pVertexInputState = &vi;
  gi.pInputAssemblyState = &ia;
  gi.pViewportState = &vp;
  gi.pRasterizationState = &rs;
  gi.pMultisampleState = &ms;
  gi.pDepthStencilState = &ds;
  gi.pColorBlendState = &cb;
  gi.pDynamicState = &dy;
  gi.layout = m_pipelineLayout;
  gi.renderPass = m_target.drawPass;
  VkPipeline pipe = VK_NULL_HANDLE;
  const VkResult r = m_devFuncs->vkCreateGraphicsPipelines(m_device, m_pipelineCache, 1, &gi, nullptr, &pipe);
  if (r != VK_SUCCESS) {
    fail(QString::fromUtf8("Vulkan preview: cannot create the graphics pipeline (VkResult %1)").arg(int(r)));
    return VK_NULL_HANDLE;
  }
  m_pipelines.emplace(key, pipe);
  return pipe;
}

bool PreviewDrawer::ensureStaging(FrameResources& fr, VkDeviceSize bytes) {
  if (fr.staging && fr.stagingSize >= bytes) return true;
  if (fr.staging) {
    m_devFuncs->vkUnmapMemory(m_device, fr.stagingMemory);
    m_devFuncs->vkDestroyBuffer(m_device, fr.staging, nullptr);
    m_devFuncs->vkFreeMemory(m_device, fr.stagingMemory, nullptr);
    fr.staging = VK_NULL_HANDLE;
    fr.stagingMemory = VK_NULL_HANDLE;
    fr.stagingMapped = nullptr;
    fr.stagingSize = 0;
  }
  VkBufferCreateInfo bi{};
  bi.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  bi.size = bytes;
  bi.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT;
  bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  if (m_devFuncs->vkCreateBuffer(m_device, &bi, nullptr, &fr.staging) != VK_SUCCESS) return false;
  VkMemoryRequirements req;
  m_devFuncs->vkGetBufferMemoryRequirements(m_device, fr.staging, &req);
  VkMemoryAllocateInfo ai{};
  ai.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
  ai.allocationSize = req.size;
  ai.memoryTypeIndex = memoryType(req.memoryTypeBits, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
  if (ai.memoryTypeIndex == UINT32_MAX || m_devFuncs->vkAllocateMemory(m_device, &ai, nullptr, &fr.stagingMemory) != VK_SUCCESS ||
      m_devFuncs->vkBindBufferMemory(m_device, fr.staging, fr.stagingMemory, 0) != VK_SUCCESS ||
      m_devFuncs->vkMapMemory(m_device, fr.stagingMemory, 0, req.size, 0, &fr.stagingMapped) != VK_SUCCESS) {
    m_devFuncs->vkDestroyBuffer(m_device, fr.staging, nullptr);
    if (fr.stagingMemory) m_devFuncs->vkFreeMemory(m_device, fr.stagingMemory, nullptr);
    fr.staging = VK_NULL_HANDLE;
    fr.stagingMemory = VK_NULL_HANDLE;
    return false;
  }
  fr.stagingSize = bytes;
  return true;
}

void PreviewDrawer::destroySlotBuffer(SlotBuffer& buf) {
  if (buf.mapped) m_devFuncs->vkUnmapMemory(m_device, buf.memory);
  if (buf.buffer) m_devFuncs->vkDestroyBuffer(m_device, buf.buffer, nullptr);
  if (buf.memory) m_devFuncs->vkFreeMemory(m_device, buf.memory, nullptr);
  buf = SlotBuffer{};
}

bool PreviewDrawer::ensureSlotBuffer(SlotBuffer& buf, VkDeviceSize bytes) {
  if (buf.buffer && buf.capacity >= bytes) return true;
  destroySlotBuffer(buf);  // safe: this frame slot's previous submission has completed
  VkBufferCreateInfo bi{};
  bi.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO;
  bi.size = bytes;
  bi.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  bi.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  if (m_devFuncs->vkCreateBuffer(m_device, &bi, nullptr, &buf.buffer) != VK_SUCCESS) return false;
  VkMemoryRequirements req;
  m_devFuncs->vkGetBufferMemoryRequirements(m_device, buf.buffer, &req);
  VkMemoryAllocateInfo ai{};
  ai.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
  ai.allocationSize = req.size;
  // Unified memory (lavapipe, integrated GPUs): device-local memory the CPU can map, written
  // directly. Discrete GPUs: plain device-local memory, filled from the staging buffer.
  const VkMemoryPropertyFlags direct = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                       VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  ai.memoryTypeIndex = m_directUpload ? memoryType(req.memoryTypeBits, direct) : UINT32_MAX;
  const bool mappable = ai.memoryTypeIndex != UINT32_MAX;
  if (!mappable) ai.memoryTypeIndex = memoryType(req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
  if (ai.memoryTypeIndex == UINT32_MAX) ai.memoryTypeIndex = memoryType(req.memoryTypeBits, 0);
  if (m_devFuncs->vkAllocateMemory(m_device, &ai, nullptr, &buf.memory) != VK_SUCCESS ||
      m_devFuncs->vkBindBufferMemory(m_device, buf.buffer, buf.memory, 0) != VK_SUCCESS ||
      (mappable && m_devFuncs->vkMapMemory(m_device, buf.memory, 0, VK_WHOLE_SIZE, 0, &buf.mapped) != VK_SUCCESS)) {
    destroySlotBuffer(buf);
    return false;
  }
  buf.capacity = bytes;
  return true;
}

void PreviewDrawer::writeDescriptors(FrameResources& fr) {
  VkDescriptorBufferInfo info[3]{};
  VkWriteDescriptorSet w[3]{};
  for (int i = 0; i < 3; ++i) {
    info[i] = {fr.slotBuffers[size_t(i)].buffer, 0, VK_WHOLE_SIZE};
    w[i].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
    w[i].dstSet = fr.descriptorSet;
    w[i].dstBinding = uint32_t(i);
    w[i].descriptorCount = 1;
    w[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    w[i].pBufferInfo = &info[i];
  }
  m_devFuncs->vkUpdateDescriptorSets(m_device, 3, w, 0, nullptr);
  fr.descriptorsDirty = false;
}

int PreviewDrawer::record(VkCommandBuffer cmd, VkFramebuffer framebuffer, QSize sz, qreal dpr, int slot) {
  FrameResources* fr = m_failed || m_frames.empty() ? nullptr : &m_frames[size_t(std::max(0, slot)) % m_frames.size()];
  SlotRequests req;
  PushConstants pc{};
  const int shownFrame = fr ? planSlots(sz, dpr, req, pc) : -1;
  if (fr && !uploadSlots(cmd, *fr, req)) fr = nullptr;
  const PipelineKey pipeKey = slotParameters(req, pc);
  // Without a picture to draw, the default pass clears to the background instead.
  const VkPipeline pipe = fr && req[0].frames ? pipeline(pipeKey) : VK_NULL_HANDLE;
  recordPass(cmd, framebuffer, sz, pipe, fr, pc);
  return fr ? shownFrame : -1;
}

// What each of the three slots shows (the primary frame; the A/B secondary or the onion-skin
// neighbours), their blend weights and the view transform.
int PreviewDrawer::planSlots(QSize sz, qreal dpr, SlotRequests& req, PushConstants& pc) const {
  const PreviewScene::Snapshot snap = m_scene->snapshot();
  const PreviewParams& p = m_scene->params;
  const bool havePrimary = snap.primary && !snap.primary->empty() && snap.primary->width > 0;
  if (!havePrimary) return -1;
  const FramesPtr& prim = snap.primary;
  const int cur = clampFrame(*prim, p.frame);
  // Uploads only the channels the map reads: RGB 1..3, heat the chosen one, wheel dx/dy.
  auto request = [&](const FramesPtr& f, uint64_t gen, bool secondary, int frame, ColourMap map) {
    SlotRequest r;
    r.frames = f;
    r.map = int(map);
    const int chan = std::clamp(p.noiseChannel, 0, f->channels - 1);
    r.key = {f.get(), gen, clampFrame(*f, frame), map == ColourMap::Heat ? chan : 0,
             map == ColourMap::Heat ? 1 : (map == ColourMap::Wheel ? std::min(2, f->channels) : std::min(3, f->channels)),
             map == ColourMap::Rgb};
    r.param = m_scene->mapParameter(f, gen, secondary, frame, map, chan);
    return r;
  };
  const ColourMap map0 = colourMapFor(p.mode, prim->kind);
  req[0] = request(prim, snap.primaryGen, false, cur, map0);
  int mode = 0;
  if (p.mode == PreviewMode::SplitAB && snap.secondary && !snap.secondary->empty()) {
    mode = 1;
    req[1] = request(snap.secondary, snap.secondaryGen, true, p.frame, colourMapFor(p.mode, snap.secondary->kind));
  } else if (p.mode == PreviewMode::OnionSkin) {
    mode = 2;
    const float a = float(std::clamp(p.onionAlpha, 0.0, 0.5));
    pc.weights[1] = cur > 0 ? a : 0.f;
    pc.weights[2] = cur + 1 < prim->count ? a : 0.f;
    if (pc.weights[1] > 0.f) req[1] = request(prim, snap.primaryGen, false, cur - 1, map0);
    if (pc.weights[2] > 0.f) req[2] = request(prim, snap.primaryGen, false, cur + 1, map0);
  }
  pc.weights[0] = 1.f - pc.weights[1] - pc.weights[2];
  pc.maps[3] = mode;

  const QSize image(prim->width, prim->height);
  const ViewLayout l = m_scene->layout(QSizeF(sz) / dpr, image);
  pc.xform[0] = float(l.origin.x() * dpr);
  pc.xform[1] = float(l.origin.y() * dpr);
  pc.xform[2] = float(l.scale * dpr);
  pc.xform[3] = float((l.origin.x() + p.splitFraction * image.width() * l.scale) * dpr);
  pc.size2[2] = kBackgroundGrey;
  pc.size2[3] = float(std::max(1.0, dpr));
  return cur;
}

// Uploads the slots whose content changed, and 1x1 placeholders for unused ones (every binding
// must be valid). False after a failure, which has been reported.
bool PreviewDrawer::uploadSlots(VkCommandBuffer cmd, FrameResources& fr, const SlotRequests& req) {
  const VkDeviceSize maxRange = m_maxStorageBufferRange;
  std::array<size_t, 3> bytes{};  // 0 = slot unchanged
  for (size_t s = 0; s < 3; ++s) {
    const SlotBuffer& buf = fr.slotBuffers[s];
    if (!req[s].frames) {
      if (!buf.valid) bytes[s] = 16;  // placeholder: four zero floats
    } else if (!buf.valid || !(buf.key == req[s].key)) {
      bytes[s] = req[s].key.bytes(req[s].frames->width, req[s].frames->height);
    }
  }
  // Pass 1: slot buffers sized; staging needed only for those the CPU cannot map.
  VkDeviceSize stagingBytes = 0;
  for (size_t s = 0; s < 3; ++s) {
    if (!bytes[s]) continue;
    SlotBuffer& buf = fr.slotBuffers[s];
    const VkBuffer oldBuffer = buf.buffer;
    if (bytes[s] > maxRange || !ensureSlotBuffer(buf, bytes[s])) {
      fail(QString::fromUtf8("Vulkan preview: cannot allocate a %1 MB frame buffer (device limit %2 MB)")
               .arg(double(bytes[s]) / 1e6, 0, 'f', 1).arg(double(maxRange) / 1e6, 0, 'f', 1));
      return false;
    }
    if (buf.buffer != oldBuffer) fr.descriptorsDirty = true;
    if (!buf.mapped) stagingBytes += bytes[s];
  }
  if (stagingBytes > 0 && !ensureStaging(fr, stagingBytes)) {
    fail(QString::fromUtf8("Vulkan preview: out of memory for a %1 MB staging buffer").arg(double(stagingBytes) / 1e6, 0, 'f', 1));
    return false;
  }
  // Pass 2: copy the channels in. Mapped (unified-memory) buffers take the memcpy directly: no
  // staging copy, which on lavapipe would be a second full-frame memcpy. Host-coherent writes
  // before vkQueueSubmit are visible to the device without a barrier.
  VkDeviceSize offset = 0;
  for (size_t s = 0; s < 3; ++s) {
    if (!bytes[s]) continue;
    SlotBuffer& buf = fr.slotBuffers[s];
    char* dst = buf.mapped ? static_cast<char*>(buf.mapped) : static_cast<char*>(fr.stagingMapped) + offset;
    if (!req[s].frames) {
      std::memset(dst, 0, bytes[s]);
      buf.key = SlotKey{};
    } else {
      // Channels are contiguous in FrameBuffer, so the chosen ones are one block.
      const FrameBuffer& f = *req[s].frames;
      const size_t plane = size_t(f.width) * f.height;
      const float* src = f.frame(req[s].key.frame) + size_t(req[s].key.firstChannel) * plane;
      if (req[s].key.packed)
        packRgb(src, plane, req[s].key.layers, reinterpret_cast<uint32_t*>(dst));
      else
        std::memcpy(dst, src, bytes[s]);
      buf.key = req[s].key;
      ++m_uploads;
    }
    buf.valid = true;
    if (buf.mapped) continue;
    recordStagingCopy(cmd, fr.staging, offset, buf.buffer, bytes[s]);
    offset += bytes[s];
  }
  if (fr.descriptorsDirty) writeDescriptors(fr);
  return true;
}

// Copies `bytes` at `stagingOffset` of the staging buffer into a slot buffer, between barriers.
void PreviewDrawer::recordStagingCopy(VkCommandBuffer cmd, VkBuffer staging, VkDeviceSize stagingOffset,
                                      VkBuffer slotBuffer, VkDeviceSize bytes) {
  // The previous draw that read this buffer (same frame slot) has finished (fence), but
  // order the copy after any shader read all the same, then make the write visible.
  VkBufferMemoryBarrier b{};
  b.sType = VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER;
  b.srcAccessMask = VK_ACCESS_SHADER_READ_BIT;
  b.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  b.srcQueueFamilyIndex = b.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  b.buffer = slotBuffer;
  b.offset = 0;
  b.size = VK_WHOLE_SIZE;
  m_devFuncs->vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0,
                                   nullptr, 1, &b, 0, nullptr);
  VkBufferCopy region{stagingOffset, 0, bytes};
  m_devFuncs->vkCmdCopyBuffer(cmd, staging, slotBuffer, 1, &region);
  b.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  b.dstAccessMask = VK_ACCESS_SHADER_READ_BIT;
  m_devFuncs->vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT, 0, 0,
                                   nullptr, 1, &b, 0, nullptr);
}

// Per-slot sizes and map parameters into `pc` (slots that are unused keep harmless defaults), and
// the pipeline specialisation the slots need.
PreviewDrawer::PipelineKey PreviewDrawer::slotParameters(const SlotRequests& req, PushConstants& pc) {
  PipelineKey pipeKey{};
  pipeKey[0] = pc.maps[3];
  for (size_t s = 0; s < 3; ++s) {
    const float w = req[s].frames ? float(req[s].frames->width) : 1.f;
    const float h = req[s].frames ? float(req[s].frames->height) : 1.f;
    if (s == 0) pc.size01[0] = w, pc.size01[1] = h;
    if (s == 1) pc.size01[2] = w, pc.size01[3] = h;
    if (s == 2) pc.size2[0] = w, pc.size2[1] = h;
    pc.mparam[s] = req[s].param;
    // Unused slots hold a 1-layer placeholder: read it as grey with weight 0.
    const bool packed = req[s].frames && req[s].key.packed;
    pipeKey[1 + 2 * s] = packed ? kPackedRgbMap : (req[s].frames ? req[s].map : int(ColourMap::Rgb));
    pipeKey[2 + 2 * s] = packed ? 1 : (req[s].frames ? req[s].key.layers : 1);
  }
  return pipeKey;
}

// The render pass: the full-screen triangle with `pipe`, or only the clear without one.
void PreviewDrawer::recordPass(VkCommandBuffer cmd, VkFramebuffer framebuffer, QSize sz, VkPipeline pipe,
                               const FrameResources* fr, const PushConstants& pc) {
  static_assert(sizeof(PushConstants) == 112, "push constants must stay within the 128-byte minimum");
  VkClearValue clear[3]{};
  clear[0].color = {{kBackgroundGrey, kBackgroundGrey, kBackgroundGrey, 1.f}};
  clear[1].depthStencil = {1.f, 0};
  clear[2].color = clear[0].color;
  VkRenderPassBeginInfo rb{};
  rb.sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO;
  rb.renderPass = pipe ? m_target.drawPass : m_target.clearPass;
  rb.framebuffer = framebuffer;
  rb.renderArea.extent = {uint32_t(sz.width()), uint32_t(sz.height())};
  rb.clearValueCount = m_target.clearValueCount;  // ignored by a pass that clears nothing
  rb.pClearValues = clear;
  m_devFuncs->vkCmdBeginRenderPass(cmd, &rb, VK_SUBPASS_CONTENTS_INLINE);
  if (pipe) {
    VkViewport v{0.f, 0.f, float(sz.width()), float(sz.height()), 0.f, 1.f};
    VkRect2D sc{{0, 0}, {uint32_t(sz.width()), uint32_t(sz.height())}};
    m_devFuncs->vkCmdSetViewport(cmd, 0, 1, &v);
    m_devFuncs->vkCmdSetScissor(cmd, 0, 1, &sc);
    m_devFuncs->vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipe);
    m_devFuncs->vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, m_pipelineLayout, 0, 1,
                                        &fr->descriptorSet, 0, nullptr);
    m_devFuncs->vkCmdPushConstants(cmd, m_pipelineLayout, VK_SHADER_STAGE_FRAGMENT_BIT, 0, sizeof(pc), &pc);
    m_devFuncs->vkCmdDraw(cmd, 3, 1, 0, 0);
  }
  m_devFuncs->vkCmdEndRenderPass(cmd);
}

void PreviewDrawer::destroyFrameResources(FrameResources& fr) {
  for (auto& b : fr.slotBuffers) destroySlotBuffer(b);
  if (fr.staging) {
    m_devFuncs->vkUnmapMemory(m_device, fr.stagingMemory);
    m_devFuncs->vkDestroyBuffer(m_device, fr.staging, nullptr);
    m_devFuncs->vkFreeMemory(m_device, fr.stagingMemory, nullptr);
  }
  fr = FrameResources{};
}

void PreviewDrawer::release() {
  if (!m_devFuncs) return;
  for (auto& fr : m_frames) destroyFrameResources(fr);  // descriptor sets go with the pool
  m_frames.clear();
  for (auto& kv : m_pipelines) m_devFuncs->vkDestroyPipeline(m_device, kv.second, nullptr);
  m_pipelines.clear();
  if (m_vertShader) m_devFuncs->vkDestroyShaderModule(m_device, m_vertShader, nullptr);
  if (m_fragShader) m_devFuncs->vkDestroyShaderModule(m_device, m_fragShader, nullptr);
  m_vertShader = VK_NULL_HANDLE;
  m_fragShader = VK_NULL_HANDLE;
  if (m_pipelineCache) m_devFuncs->vkDestroyPipelineCache(m_device, m_pipelineCache, nullptr);
  if (m_pipelineLayout) m_devFuncs->vkDestroyPipelineLayout(m_device, m_pipelineLayout, nullptr);
  if (m_descriptorPool) m_devFuncs->vkDestroyDescriptorPool(m_device, m_descriptorPool, nullptr);
  if (m_setLayout) m_devFuncs->vkDestroyDescriptorSetLayout(m_device, m_setLayout, nullptr);
  m_pipelineCache = VK_NULL_HANDLE;
  m_pipelineLayout = VK_NULL_HANDLE;
  m_descriptorPool = VK_NULL_HANDLE;
  m_setLayout = VK_NULL_HANDLE;
  m_device = VK_NULL_HANDLE;
  m_devFuncs = nullptr;
}

}  // namespace ns::ui
