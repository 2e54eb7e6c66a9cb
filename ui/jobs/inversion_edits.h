#pragma once
// What the user asks an edit of an inverted photo to change (the Inversion dock's fields). A plain
// value so the edit job (ui/jobs/engine_jobs.h) takes it without knowing the dock.

#include <QString>

namespace ns::ui {

struct InversionEdits {
  QString targetPrompt;          // "" = keep the source prompt
  int shiftX = 0, shiftY = 0;    // noise-map shift in latent pixels
  double colour[3] = {0, 0, 0};  // colour offset added to the noise maps' mean per RGB channel
};

}  // namespace ns::ui
