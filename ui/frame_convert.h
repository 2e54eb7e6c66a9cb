#pragma once
// Conversions between QImage and ns::FrameBuffer (plain floats, the engine's currency), and the
// PNG-sequence export. No torch here. Any thread (QImage is reentrant); the main window runs the
// export as a model-thread job (writePngSequenceJob) so long sequences never block the UI.

#include <QImage>
#include <QString>

#include "core/jobs/job_context.h"
#include "core/media/result_metadata.h"
#include "core/util/frame_buffer.h"
#include "core/util/result.h"

namespace ns::ui {

// RGB image -> FrameBuffer{Image, 1 frame, 3 channels} in [0,1].
FrameBuffer imageToFrames(const QImage& image);
// Frame `index` of an Image FrameBuffer -> RGB888 (values clamped to [0,1]). Null image when the
// buffer is not an image or the index is out of range.
QImage frameToImage(const FrameBuffer& frames, int index);
// Writes every frame as <dir>/<stem>_0000.png ... through core/media's one writer
// (frame_writer.h, the CLI's too); returns the number written or an error naming the file. All or
// nothing: the frames are staged in a hidden folder inside `dir` and moved into place only once
// all are written, so a failed or cancelled export (`ctx`, checked between frames, progress stage
// "export") leaves `dir` as it was. Each PNG carries `metadata` (how the frames
// were made, with its frame index: core/media/result_metadata.h) when it is not empty.
Result<int> exportPngSequence(const FrameBuffer& frames, const QString& dir, const QString& stem,
                              const JobContext* ctx = nullptr, const media::ResultMetadata& metadata = {});

}  // namespace ns::ui
