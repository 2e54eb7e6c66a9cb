#pragma once
// The canvas tools (tool bar). Runtime only.

namespace ns::ui {

enum class CanvasTool {
  Invalid = 0,
  Select,      // select, move (drag body), resize (drag a handle); sets a keyframe at the current frame
  Box,         // press-drag-release draws a new object box
  Trajectory,  // click moves the selected object's centre there at the current frame (a keyframe)
  CutOut,      // press-drag-release on the source image makes a cut-out object from that region
  MaskBrush,   // press-drag-release paints (or erases) one stroke of the edit mask
};

}  // namespace ns::ui
