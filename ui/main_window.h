#pragma once
// MainWindow: the artist's window. Canvas in the centre, docks around it (see DESIGN.md, ui/).
// Lives on the UI thread; never calls torch (model work goes through JobController).

#include <QMainWindow>

namespace ns::ui {

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;
};

}  // namespace ns::ui
