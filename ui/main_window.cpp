#include "ui/main_window.h"

#include <QLabel>
#include <QMenuBar>
#include <QStatusBar>

namespace ns::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("NoiseStudio"));
  setWindowIcon(QIcon(":/icons/noisestudio.svg"));
  auto* fileMenu = menuBar()->addMenu(tr("&File"));
  fileMenu->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
  setCentralWidget(new QLabel(tr("NoiseStudio"), this));
  statusBar()->showMessage(tr("Ready"));
  resize(1280, 800);
}

MainWindow::~MainWindow() = default;

}  // namespace ns::ui
