#pragma once
// CanvasObject: what the canvas needs to draw one Project object. Built from the Project by
// ProjectDocument; the canvas never edits it (edits go back as signals -> commands -> Project).

#include <QColor>
#include <QString>

#include "core/plan/trajectory.h"

namespace ns::ui {

struct CanvasObject {
  QString id;         // the Project object's id
  QString label;      // its prompt (or shape + colour)
  QColor colour;      // outline colour (the object's named colour when it has one)
  Trajectory trajectory;
};

}  // namespace ns::ui
