#include "ui/farm/farm_status_view.h"

#include <QJsonArray>

namespace ns::ui {

int FarmStatusView::failedChunks() const {
  int n = 0;
  for (const auto& c : chunks) n += c.state == QLatin1String("failed") ? 1 : 0;
  return n;
}

namespace {
bool readInt(const QJsonObject& o, const char* key, int* v) {
  const QJsonValue x = o.value(QLatin1String(key));
  if (!x.isDouble()) return false;
  *v = x.toInt();
  return double(*v) == x.toDouble();
}
bool readString(const QJsonObject& o, const char* key, QString* v, bool required) {
  const QJsonValue x = o.value(QLatin1String(key));
  if (x.isUndefined() && !required) return true;
  if (!x.isString()) return false;
  *v = x.toString();
  return true;
}
}  // namespace

bool parseFarmStatus(const QJsonObject& j, FarmStatusView* out, QString* error) {
  auto bad = [error](const QString& what) {
    if (error) *error = QObject::tr("farm status answer: %1").arg(what);
    return false;
  };
  FarmStatusView v;
  QString kind;
  if (!readString(j, "kind", &kind, false)) return bad(QObject::tr("kind is not text"));
  v.batch = kind == QLatin1String("batch");
  if (!readString(j, "state", &v.state, true) || v.state.isEmpty()) return bad(QObject::tr("no state"));
  const bool batchWithoutFrames = v.batch && !j.contains(QStringLiteral("frames"));
  if (!batchWithoutFrames && (!readInt(j, "frames", &v.frames) || !readInt(j, "frames_done", &v.framesDone) ||
                              v.frames < 0 || v.framesDone < 0 || v.framesDone > v.frames))
    return bad(QObject::tr("frames / frames_done missing or out of range"));
  if (!readString(j, "merge", &v.merge, true)) return bad(QObject::tr("no merge state"));
  if (!readString(j, "merge_log_tail", &v.mergeLogTail, false)) return bad(QObject::tr("merge_log_tail is not text"));
  if (!j.value(QStringLiteral("video")).isBool() && !batchWithoutFrames) return bad(QObject::tr("no video flag"));
  v.video = j.value(QStringLiteral("video")).toBool();
  if (!j.value(QStringLiteral("chunks")).isArray()) return bad(QObject::tr("no chunk list"));
  const QJsonArray chunks = j.value(QStringLiteral("chunks")).toArray();
  for (const QJsonValue& cv : chunks) {
    if (!cv.isObject()) return bad(QObject::tr("a chunk is not an object"));
    const QJsonObject o = cv.toObject();
    FarmChunkView c;
    const QJsonArray range = o.value(QStringLiteral("frames")).toArray();
    // Batch tasks that render nothing may come without frames (older CLIs): no frames, [0, 0).
    const bool noFrames = v.batch && !o.contains(QStringLiteral("frames")) && !o.contains(QStringLiteral("frames_done"));
    if (!readInt(o, "chunk", &c.index) ||
        (!noFrames && (range.size() != 2 || !range[0].isDouble() || !range[1].isDouble())))
      return bad(QObject::tr("chunk %1: no index or frame range").arg(v.chunks.size()));
    c.begin = noFrames ? 0 : range[0].toInt();
    c.end = noFrames ? 0 : range[1].toInt();
    if (c.begin < 0 || c.end < c.begin || (!noFrames && !readInt(o, "frames_done", &c.framesDone)) || c.framesDone < 0 ||
        c.framesDone > c.end - c.begin)
      return bad(QObject::tr("chunk %1: frames out of range").arg(c.index));
    if (!readString(o, "state", &c.state, true) || !readString(o, "task", &c.task, false) ||
        !readString(o, "slurm", &c.slurm, false) || !readString(o, "progress", &c.progress, false) ||
        !readString(o, "log_tail", &c.logTail, false))
      return bad(QObject::tr("chunk %1: a field is not text").arg(c.index));
    v.chunks.push_back(c);
  }
  // A batch (core/farm/batch_status.h) adds its own counts and what each task does.
  if (v.batch) {
    if (!readInt(j, "tasks_done", &v.tasksDone) || !readInt(j, "task_count", &v.tasks) || v.tasksDone < 0 ||
        v.tasksDone > v.tasks)
      return bad(QObject::tr("tasks_done / task_count missing or out of range"));
    const QJsonArray tasks = j.value(QStringLiteral("tasks")).toArray();
    for (int i = 0; i < v.chunks.size() && i < tasks.size(); ++i) {
      const QJsonObject t = tasks[i].toObject();
      const QString job = t.value(QStringLiteral("job")).toString(), what = t.value(QStringLiteral("what")).toString();
      v.chunks[i].what = job.isEmpty() ? what : what.isEmpty() ? job : job + QStringLiteral(": ") + what;
    }
  }
  *out = v;
  return true;
}

}  // namespace ns::ui
