#pragma once
// PreviewRenderer: draws the PreviewScene with Vulkan. Created by PreviewWindow (QVulkanWindow
// owns it and calls it on the UI thread). Owns every Vulkan handle it makes: all start as
// VK_NULL_HANDLE and are destroyed in releaseSwapChainResources/releaseResources.
//
// Per frame in flight (QVulkanWindow::concurrentFrameCount) it keeps three device-local storage
// buffers holding planar floats (the channels the colour map needs, in FrameBuffer's own layout)
// and one persistently mapped staging buffer that is reused (grown only when a bigger frame
// arrives). On unified memory (device-local memory the CPU can map: lavapipe, integrated GPUs)
// the slot buffers are mapped and written directly, skipping the staging copy. A slot is re-uploaded only when what it holds (buffer generation, frame index,
// channels) changes. Storage buffers rather than R32F textures: llvmpipe (lavapipe) spent ~11 ms
// per 1024² frame in texelFetch; plain buffer loads cost a fraction of that, and the preview
// samples nearest pixels anyway. Colour mapping runs in
// shaders/preview.frag; the CPU only computes σ / max-magnitude per frame (cached).

#include <QVulkanWindowRenderer>
#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "ui/preview/preview_scene.h"

class QVulkanDeviceFunctions;

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
  int uploadCount() const { return m_uploads; }

 private:
  // What a slot buffer holds; uploads happen only when this changes.
  struct SlotKey {
    const FrameBuffer* frames = nullptr;
    uint64_t gen = 0;
    int frame = -1, firstChannel = 0, layers = 0;
    bool operator==(const SlotKey& o) const {
      return frames == o.frames && gen == o.gen && frame == o.frame && firstChannel == o.firstChannel &&
             layers == o.layers;
    }
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

  // Pipelines are specialised per (mode, map and layer count of each slot) and made on first use.
  using PipelineKey = std::array<int, 7>;
  VkPipeline pipeline(const PipelineKey& key);
  VkShaderModule loadShader(const QString& path);
  void createRenderPass();
  uint32_t memoryType(uint32_t typeBits, VkMemoryPropertyFlags props) const;
  bool ensureStaging(FrameResources& fr, VkDeviceSize bytes);
  bool ensureSlotBuffer(SlotBuffer& buf, VkDeviceSize bytes);
  void destroySlotBuffer(SlotBuffer& buf);
  void destroyFrameResources(FrameResources& fr);
  void writeDescriptors(FrameResources& fr);
  void fail(const QString& reason);

  PreviewWindow* m_window;
  PreviewScene* m_scene;
  QVulkanDeviceFunctions* m_devFuncs = nullptr;
  VkDevice m_device = VK_NULL_HANDLE;
  // Compatible with QVulkanWindow's default render pass but without its clears (the triangle
  // writes every pixel); null when multisampling, then the default pass is used.
  VkRenderPass m_renderPass = VK_NULL_HANDLE;
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
