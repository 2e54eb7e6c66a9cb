#pragma once
// What a decode may cost, for every door media comes in through (media_file.h's loadMedia, the
// window's dropped pictures, project backgrounds): pictures by their header before decoding
// (image_header.h), clips by frame count, frame size and decoded bytes. No torch, no OpenCV.

#include <cstdint>

#include "core/media/image_header.h"

namespace ns::media {

struct VideoLimits {
  int maxFrames = 2000;   // refuse longer clips instead of filling memory
  int maxWidth = 8192;
  int maxHeight = 8192;
  // The decoded clip's size (float RGB: 12 bytes a pixel): 2000 frames of a large clip would
  // fill memory long before the frame count stops them (1080p: ~170 frames in 4 GB).
  int64_t maxDecodedBytes = int64_t(4) << 30;
};

struct MediaLimits {
  ImageLimits image;
  VideoLimits video;
};
// The limits every door uses unless the user raised them: defaultImageLimits() (the environment
// and the CLI's flags apply) and VideoLimits' defaults.
MediaLimits defaultMediaLimits();

}  // namespace ns::media
