#pragma once
// The example projects File → Open Example and the empty-canvas hint offer: the .nsproj files of
// the examples folder, with a title from the file name and a one-line description (the prompt
// the model gets, frames and size) read from each file. A file that does not read as a project is
// listed with the reason in its description and cannot be opened (the menu disables it).
// Opening one makes an untitled copy (MainWindow::openExample): Save never writes into examples/.

#include <QString>

#include <vector>

namespace ns::ui {

struct ExampleProject {
  QString path;         // absolute .nsproj path
  QString title;        // "Red ball on grass" from red_ball_on_grass.nsproj
  QString description;  // "a red ball on grass — 16 frames, 64×64", or why it cannot be opened
  bool readable = false;
};

// The examples folder: $NS_EXAMPLES_DIR, else <exe>/../share/noisestudio/examples (installed),
// else $NS_SOURCE_DIR/examples, else the examples of the checkout this was built from; the first
// that exists wins, "" when none does.
QString exampleProjectsDir();

// True when `path` lies in exampleProjectsDir(): Save never writes there (it asks for a new name).
bool isInExamplesDir(const QString& path);

// The .nsproj files directly in `dir`, sorted by title; empty when `dir` is "" or has none.
std::vector<ExampleProject> listExampleProjects(const QString& dir);

}  // namespace ns::ui
