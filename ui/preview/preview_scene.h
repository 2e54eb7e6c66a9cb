#pragma once
// PreviewScene: the state the preview draws, shared by PreviewWidget, PreviewRenderer and the
// QPainter fallback. Owned by PreviewWidget.
//
// Thread contract:
// - setPrimary/setSecondary/snapshot are thread-safe (mutex-guarded handoff). Only the latest
//   buffer is kept: a job that delivers x̂0 previews faster than frames are drawn simply replaces
//   the pending one, so intermediate previews are dropped, never queued.
// - params, zoom, pan, layout() and mapParameter() are UI-thread only (the renderer runs on the
//   UI thread too: QVulkanWindow calls startNextFrame there).

#include <QPointF>
#include <QSize>
#include <QSizeF>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "core/util/frame_buffer.h"
#include "ui/preview/preview_mode.h"

namespace ns::ui {

using FramesPtr = std::shared_ptr<const FrameBuffer>;

// Where the image lands in the view: view = origin + image * scale (view pixels).
struct ViewLayout {
  QPointF origin;
  double scale = 1.0;
};

class PreviewScene {
 public:
  struct Snapshot {
    FramesPtr primary, secondary;      // may be null
    uint64_t primaryGen = 0, secondaryGen = 0;  // bump on every set (upload keys)
  };

  void setPrimary(FramesPtr frames);
  void setSecondary(FramesPtr frames);
  Snapshot snapshot() const;

  // Fit the primary image into `view` (up- or down-scaled, centred), then apply zoom and pan.
  ViewLayout layout(QSizeF view, QSize image) const;
  // View position -> image coordinates (continuous; floor() gives the pixel).
  QPointF viewToImage(QPointF viewPos, QSizeF view, QSize image) const;
  // Zooms by `factor` keeping the image point under `anchor` (view pixels) fixed.
  void zoomAbout(double factor, QPointF anchor, QSizeF view, QSize image);
  void resetView() { zoom = 1.0; pan = QPointF(); }

  // colourMapParameter() cached per (buffer generation, frame, map, channel).
  float mapParameter(const FramesPtr& frames, uint64_t gen, bool secondary, int frame, ColourMap map, int channel);

  PreviewParams params;
  double zoom = 1.0;  // on top of the fit scale
  QPointF pan;        // view pixels

 private:
  mutable std::mutex m_mutex;
  FramesPtr m_primary, m_secondary;
  uint64_t m_primaryGen = 0, m_secondaryGen = 0;
  std::map<std::tuple<uint64_t, bool, int, int, int>, float> m_paramCache;
};

}  // namespace ns::ui
