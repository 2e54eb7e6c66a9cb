// noisestudio: the desktop application. Wires QApplication, logging, the torch runtime and the
// main window; opens a file given on the command line (project, image, video or model pack).
#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include "core/util/log.h"
#include "core/util/torch_runtime.h"
#include "ui/main_window.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName("NoiseStudio");
  QApplication::setOrganizationName("NoiseStudio");
  QApplication::setApplicationVersion(NS_VERSION);
  QCommandLineParser parser;
  parser.setApplicationDescription("NoiseStudio: edit images and videos through diffusion noise");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument("file", "A .nsproj project, an image, a video or a model-pack folder to open");
  parser.process(app);

  ns::initLogging("noisestudio");
  const ns::RuntimeInfo runtime = ns::initTorchRuntime();
  ns::ui::MainWindowOptions options;
  options.cudaAvailable = runtime.cudaAvailable;
  ns::ui::MainWindow window(nullptr, options);
  window.show();
  const QStringList files = parser.positionalArguments();
  if (!files.isEmpty()) QTimer::singleShot(0, &window, [&window, f = files.first()] { window.openFile(f); });
  return app.exec();
}
