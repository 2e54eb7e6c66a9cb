#include "ui/commands/set_keyframe_command.h"

#include <QObject>

#include "ui/project_document.h"

namespace ns::ui {

Project SetKeyframeCommand::withKey(const Project& p, const std::string& id, int frame, const NormBox& box) {
  Project after = p;
  for (ProjectObject& o : after.objects) {
    if (o.id != id) continue;
    Keyframe key;
    key.frame = frame;
    key.box = box;
    key.rotationDeg = o.trajectory.empty() ? 0.0 : o.trajectory.rotationAt(frame);
    // An existing key at this frame keeps its easing; a new one takes its predecessor's.
    for (const Keyframe& k : o.trajectory.keys())
      if (k.frame <= frame) key.easing = k.easing;
    o.trajectory.setKey(key);
  }
  return after;
}

SetKeyframeCommand::SetKeyframeCommand(ProjectDocument* doc, const std::string& objectId, int frame, const NormBox& box,
                                       quint64 dragSerial)
    : ProjectCommand(doc, QObject::tr("Move %1 at frame %2").arg(QString::fromStdString(objectId)).arg(frame),
                     withKey(doc->project(), objectId, frame, box),
                     QStringLiteral("key:%1:%2:%3").arg(QString::fromStdString(objectId)).arg(frame).arg(dragSerial)) {}

}  // namespace ns::ui
