#include "ui/app_icon.h"

// Q_INIT_RESOURCE must be called outside any namespace.
static void initNoiseStudioResources() { Q_INIT_RESOURCE(noisestudio); }

namespace ns::ui {

QIcon appIcon() {
  static const bool registered = (initNoiseStudioResources(), true);
  (void)registered;
  QIcon icon;
  for (int size : {16, 32, 48, 64, 128, 256})
    icon.addFile(QStringLiteral(":/icons/noisestudio-%1.png").arg(size), QSize(size, size));
  return icon;
}

}  // namespace ns::ui
