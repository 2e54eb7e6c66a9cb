#pragma once
// PreviewDrawer: records the preview of a PreviewScene into a Vulkan command buffer: uploads the
// frames the colour maps need, then one render pass with a full-screen triangle whose fragment
// shader (shaders/preview.frag) does the colour mapping. Shared by the two ways the preview
// reaches the screen:
// - PreviewRenderer: a QVulkanWindow swap chain (GPUs: the picture never leaves the device);
// - PreviewOffscreenRenderer: an offscreen image read back and drawn by Qt (CPU rasterisers such as
//   lavapipe, whose swap chain on Mesa 22 X11 sends every frame through the X socket).
// The owner supplies the device and render passes (PreviewTarget) and calls create/record/release
// on the UI thread. Every handle made here starts as VK_NULL_HANDLE and is destroyed in release().
//
// Per frame slot (frames in flight) it keeps three storage buffers holding planar floats (the
// channels the heat map or colour wheel needs, in FrameBuffer's own layout) or, for RGB, one RGBA8
// word per pixel packed at upload (a third of the bytes and one shader load per pixel instead of
// three: on llvmpipe the loads dominate the draw), and one persistently mapped staging
// buffer that is reused (grown only when a bigger frame arrives). On unified memory (device-local
// memory the CPU can map: lavapipe, integrated GPUs) the slot buffers are mapped and written
// directly, skipping the staging copy. A slot is re-uploaded only when what it holds (buffer
// generation, frame index, channels) changes. Storage buffers rather than R32F textures: llvmpipe
// spent ~11 ms per 1024² frame in texelFetch; plain buffer loads cost a fraction of that, and the
// preview samples nearest pixels anyway. The CPU only computes σ / max-magnitude per frame (cached).

#include <QSize>
#include <QString>
#include <QVulkanInstance>
#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "ui/preview/preview_scene.h"

class QVulkanDeviceFunctions;

namespace ns::ui {

// The first memory type allowed by `typeBits` that has all of `props`; UINT32_MAX if none.
// (Shared by the drawer's buffers and the offscreen renderer's target and readback buffer.)
uint32_t findMemoryType(const VkPhysicalDeviceMemoryProperties& memory, uint32_t typeBits, VkMemoryPropertyFlags props);

// Where the drawer draws: the device and the render passes of its owner.
struct PreviewTarget {
  QVulkanInstance* instance = nullptr;
  VkPhysicalDevice physicalDevice = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  // Loads nothing (the triangle writes every pixel); the pipelines are made for this pass.
  VkRenderPass drawPass = VK_NULL_HANDLE;
  // Clears every attachment (colour to the background grey): used when there is nothing to draw.
  VkRenderPass clearPass = VK_NULL_HANDLE;
  uint32_t clearValueCount = 1;  // attachments clearPass clears: colour[, depth[, resolve]]
  VkSampleCountFlagBits samples = VK_SAMPLE_COUNT_1_BIT;
  int frameSlots = 1;            // command buffers in flight; slot buffers are kept per slot
};

class PreviewDrawer {
 public:
  using FailFn = std::function<void(const QString& reason)>;
  // `fail` is called (on the UI thread, inside create/record) when the drawer cannot go on.
  PreviewDrawer(PreviewScene* scene, FailFn fail);
  ~PreviewDrawer();
  PreviewDrawer(const PreviewDrawer&) = delete;
  PreviewDrawer& operator=(const PreviewDrawer&) = delete;

  // Makes the descriptor sets, pipeline layout, shaders and the common pipeline. False after a
  // failure (already reported through `fail`).
  bool create(const PreviewTarget& target);
  // Destroys everything create/record made; the device must be idle.
  void release();
  // Records the uploads and the render pass for frame slot `slot` (whose previous submission has
  // completed) into `cmd`, drawing into `framebuffer` of `pixels` size at device pixel ratio
  // `dpr`. Returns the frame index drawn, or -1 when nothing was (no frames, or a failure).
  int record(VkCommandBuffer cmd, VkFramebuffer framebuffer, QSize pixels, qreal dpr, int slot);

  // Number of slot uploads done so far (tests check that unchanged frames are not re-uploaded).
  int uploadCount() const { return m_uploads; }
  bool failed() const { return m_failed; }

 private:
  // What a slot buffer holds; uploads happen only when this changes.
  struct SlotKey {
    const FrameBuffer* frames = nullptr;
    uint64_t gen = 0;
    int frame = -1, firstChannel = 0, layers = 0;  // layers: channels read from the frame
    bool packed = false;  // RGB packed to one RGBA8 word per pixel (else planar floats)
    bool operator==(const SlotKey& o) const {
      return frames == o.frames && gen == o.gen && frame == o.frame && firstChannel == o.firstChannel &&
             layers == o.layers && packed == o.packed;
    }
    size_t bytes(int width, int height) const { return size_t(width) * size_t(height) * 4 * (packed ? 1 : size_t(layers)); }
  };
  struct SlotBuffer {
    VkBuffer buffer = VK_NULL_HANDLE;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkDeviceSize capacity = 0;
    void* mapped = nullptr;  // set on unified memory: written directly, no staging copy
    SlotKey key;
    bool valid = false;  // holds uploaded data (or the zero placeholder)
  };
  struct FrameResources {
    std::array<SlotBuffer, 3> slotBuffers;
    VkBuffer staging = VK_NULL_HANDLE;
    VkDeviceMemory stagingMemory = VK_NULL_HANDLE;
    void* stagingMapped = nullptr;
    VkDeviceSize stagingSize = 0;
    VkDescriptorSet descriptorSet = VK_NULL_HANDLE;
    bool descriptorsDirty = true;
  };
  // One slot's upload request for this frame.
  struct SlotRequest {
    FramesPtr frames;
    SlotKey key;
    int map = 1;
    float param = 1.f;
  };

  using SlotRequests = std::array<SlotRequest, 3>;
  // Push constants: `Params` of shaders/preview.frag (defined in the .cpp).
  struct PushConstants;

  // Pipelines are specialised per (mode, map and layer count of each slot) and made on first use.
  using PipelineKey = std::array<int, 7>;
  // The steps of record(), in order.
  int planSlots(QSize pixels, qreal dpr, SlotRequests& req, PushConstants& pc) const;
  bool uploadSlots(VkCommandBuffer cmd, FrameResources& fr, const SlotRequests& req);
  void recordStagingCopy(VkCommandBuffer cmd, VkBuffer staging, VkDeviceSize stagingOffset, VkBuffer slotBuffer,
                         VkDeviceSize bytes);
  static PipelineKey slotParameters(const SlotRequests& req, PushConstants& pc);
  void recordPass(VkCommandBuffer cmd, VkFramebuffer framebuffer, QSize pixels, VkPipeline pipe,
                  const FrameResources* fr, const PushConstants& pc);
  VkPipeline pipeline(const PipelineKey& key);
  VkShaderModule loadShader(const QString& path);
  uint32_t memoryType(uint32_t typeBits, VkMemoryPropertyFlags props) const;
  bool ensureStaging(FrameResources& fr, VkDeviceSize bytes);
  bool ensureSlotBuffer(SlotBuffer& buf, VkDeviceSize bytes);
  void destroySlotBuffer(SlotBuffer& buf);
  void destroyFrameResources(FrameResources& fr);
  void writeDescriptors(FrameResources& fr);
  void fail(const QString& reason);

  PreviewScene* m_scene;
  FailFn m_fail;
  PreviewTarget m_target;
  QVulkanDeviceFunctions* m_devFuncs = nullptr;
  VkDevice m_device = VK_NULL_HANDLE;
  VkPhysicalDeviceMemoryProperties m_memory{};
  VkDeviceSize m_maxStorageBufferRange = 0;
  VkDescriptorSetLayout m_setLayout = VK_NULL_HANDLE;
  VkDescriptorPool m_descriptorPool = VK_NULL_HANDLE;
  VkPipelineLayout m_pipelineLayout = VK_NULL_HANDLE;
  VkShaderModule m_vertShader = VK_NULL_HANDLE;
  VkShaderModule m_fragShader = VK_NULL_HANDLE;
  std::map<PipelineKey, VkPipeline> m_pipelines;
  VkPipelineCache m_pipelineCache = VK_NULL_HANDLE;
  std::vector<FrameResources> m_frames;
  bool m_failed = false;
  bool m_directUpload = true;  // map device-local memory when the device offers it
  int m_uploads = 0;
};

}  // namespace ns::ui
