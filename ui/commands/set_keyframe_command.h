#pragma once
// SetKeyframeCommand: moving or resizing an object at a frame sets (or replaces) its keyframe
// there. The key keeps the rotation and easing the trajectory had at that frame. Every command of
// one drag (same object, same drag serial) merges into one undo step.

#include "ui/commands/project_command.h"

namespace ns::ui {

class SetKeyframeCommand : public ProjectCommand {
 public:
  SetKeyframeCommand(ProjectDocument* doc, const std::string& objectId, int frame, const NormBox& box, quint64 dragSerial);

 private:
  static Project withKey(const Project& p, const std::string& id, int frame, const NormBox& box);
};

}  // namespace ns::ui
