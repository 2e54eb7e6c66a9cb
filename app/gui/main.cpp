// noisestudio: the desktop application.
#include <QApplication>

#include "core/util/log.h"
#include "ui/main_window.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName("NoiseStudio");
  QApplication::setOrganizationName("NoiseStudio");
  QApplication::setApplicationVersion(NS_VERSION);
  ns::initLogging("noisestudio");
  ns::ui::MainWindow window;
  window.show();
  return app.exec();
}
