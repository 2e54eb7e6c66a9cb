#pragma once
// EmptyPlanHint: the first thing a new user sees on the canvas. While the canvas shows nothing
// (CanvasScene::showsNothing(): no object box, no photo or render) a small panel in the middle of
// the view says how to start — draw a box, open or drop a photo or clip, open an example, or type
// a prompt and render — with a button for each. It hides itself as soon as the plan has content
// and comes back when the canvas is empty again (undo of the last box, File → New).
// The panel is a child of the view's viewport; it never changes the project, it only asks
// (signals) and MainWindow acts. UI thread only.

#include <QFrame>
#include <QPointer>

class QLabel;
class QMenu;
class QPushButton;
class QToolButton;

namespace ns::ui {

class CanvasScene;

class EmptyPlanHint : public QFrame {
  Q_OBJECT
 public:
  // `viewport`: the canvas view's viewport (the panel's parent, kept centred in it).
  // `examples`: the File → Open Example menu, shown by the examples button (not owned).
  EmptyPlanHint(CanvasScene* scene, QWidget* viewport, QMenu* examples);

  QPushButton* drawBoxButton() const { return m_drawBox; }
  QPushButton* openMediaButton() const { return m_openMedia; }
  QToolButton* examplesButton() const { return m_examples; }

 signals:
  void drawBoxRequested();   // choose the Box tool
  void openMediaRequested(); // open a photo or clip (the Open dialog for media)

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void follow(bool showsNothing);
  void recentre();

  QPointer<CanvasScene> m_scene;
  QPushButton* m_drawBox = nullptr;
  QPushButton* m_openMedia = nullptr;
  QToolButton* m_examples = nullptr;
};

}  // namespace ns::ui
