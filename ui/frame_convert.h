#pragma once
// Conversions between QImage and ns::FrameBuffer (plain floats, the engine's currency), and the
// PNG-sequence export. No torch here. Any thread (QImage is reentrant).

#include <QImage>
#include <QString>

#include "core/util/frame_buffer.h"
#include "core/util/result.h"

namespace ns::ui {

// RGB image -> FrameBuffer{Image, 1 frame, 3 channels} in [0,1].
FrameBuffer imageToFrames(const QImage& image);
// Frame `index` of an Image FrameBuffer -> RGB888 (values clamped to [0,1]). Null image when the
// buffer is not an image or the index is out of range.
QImage frameToImage(const FrameBuffer& frames, int index);
// Writes every frame as <dir>/<stem>_0000.png ...; returns the number written or an error naming the file.
Result<int> exportPngSequence(const FrameBuffer& frames, const QString& dir, const QString& stem);

}  // namespace ns::ui
