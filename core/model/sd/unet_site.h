#pragma once
// UnetSite: a place in the SD UNet where a video model inserts a temporal layer, named the way
// AnimateDiff and diffusers name their motion modules: "down_blocks.<level>.motion_modules.<j>"
// (after the j-th ResBlock(+SpatialTransformer) of a level on the way down), "mid_block.motion_
// modules.0" (after the middle SpatialTransformer, before the second ResBlock), and
// "up_blocks.<i>.motion_modules.<j>" (up block i counts from the deepest level; after the j-th
// ResBlock(+SpatialTransformer), before that block's Upsample). Plain data: no torch here, so any
// file may include it.

#include <string>
#include <tuple>

namespace ns::sd {

struct UnetSite {
  enum class Part { Down, Mid, Up };
  Part part = Part::Down;
  int block = 0;  // level on the way down; up block index (0 = deepest) on the way up; 0 for mid
  int index = 0;  // layer within the block
  std::string name() const {
    switch (part) {
      case Part::Down: return "down_blocks." + std::to_string(block) + ".motion_modules." + std::to_string(index);
      case Part::Mid: return "mid_block.motion_modules." + std::to_string(index);
      case Part::Up: return "up_blocks." + std::to_string(block) + ".motion_modules." + std::to_string(index);
    }
    return {};
  }
  bool operator<(const UnetSite& o) const {
    return std::tie(part, block, index) < std::tie(o.part, o.block, o.index);
  }
  bool operator==(const UnetSite& o) const { return part == o.part && block == o.block && index == o.index; }
};

}  // namespace ns::sd
