#pragma once
// FarmStatusView: `noisestudio-cli --json farm status OUT` read into what the Jobs dock shows
// (core/farm/farm_status.h writes it: state, frames, merge, video, chunks[] with state, progress
// and log_tail). Anything missing or of the wrong type is refused with a message, never guessed.

#include <QJsonObject>
#include <QString>
#include <QVector>

namespace ns::ui {

struct FarmChunkView {
  int index = 0;
  int begin = 0, end = 0;  // frames [begin, end)
  int framesDone = 0;
  QString state;           // "pending", "running", "done", "failed", "not submitted"
  QString task;            // Slurm task id ("41_2"), "" if never submitted
  QString slurm;           // squeue's state and reason
  QString progress;        // running: the last progress line ("denoise 12/84")
  QString logTail;         // failed: the end of its log
  QString what;            // batch tasks: "<job>: <what the task does>" (from tasks[]); "" for a project
};

struct FarmStatusView {
  QString state;  // "pending", "running", "merging", "done", "failed", "cancelled"
  int framesDone = 0, frames = 0;
  QString merge;  // "waiting", "running", "done", "not run (a chunk failed)", "failed", "not submitted"
  QString mergeLogTail;
  bool video = false;  // OUT/<name>.mp4 is there (batch: every render job's video)
  QVector<FarmChunkView> chunks;  // batch: one per task, in the same shape
  bool batch = false;             // "kind": "batch" (`farm submit BATCH.json`)
  int tasksDone = 0, tasks = 0;   // batch: tasks done / all

  bool isFinal() const { return state == QLatin1String("done"); }
  int failedChunks() const;
};

// false (and *error) when `json` is not a farm status answer.
bool parseFarmStatus(const QJsonObject& json, FarmStatusView* out, QString* error);

}  // namespace ns::ui
