// Tests File → Open Example (ui/files/example_projects.h, MainWindow::openExample): the menu lists
// every example project with what it shows, a broken one disabled with its reason; choosing one
// opens an untitled copy equal to the example, which Save does not write back (Save asks where,
// like Save As) — also when the example was opened with plain File → Open. Runs on a copy of
// examples/ (NS_EXAMPLES_DIR), so a failure can never damage the shipped files.
#include "tests/support/ns_test.h"

#include <QAction>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMenu>
#include <QUndoCommand>
#include <QUndoStack>

#include "tests/ui/ui_test_util.h"
#include "ui/files/example_projects.h"
#include "ui/project_document.h"

using ns::ui::MainWindow;
using ns::ui::SaveAnswer;

namespace {
QByteArray fileHash(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return {};
  return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}
}  // namespace

class TstOpenExample : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void cleanupTestCase() { qunsetenv("NS_EXAMPLES_DIR"); }
  void menuListsEveryExample();
  void openingGivesAnUntitledCopy();
  void saveNeverOverwritesAnExample();

 private:
  QTemporaryDir m_tmp;
  QString m_examples;  // the copy of examples/
  QStringList m_names;
};

void TstOpenExample::initTestCase() {
  uitest::isolate();
  m_examples = QDir(m_tmp.path()).filePath("examples");
  QVERIFY(QDir().mkpath(m_examples));
  const QDir shipped(QStringLiteral(NS_SOURCE_DIR "/examples"));
  m_names = shipped.entryList({"*.nsproj"}, QDir::Files, QDir::Name);
  QVERIFY2(m_names.size() >= 3, "examples/ has fewer than 3 projects");
  for (const QString& n : m_names) QVERIFY(QFile::copy(shipped.filePath(n), QDir(m_examples).filePath(n)));
  // One broken example: listed, disabled, with the reader's reason.
  QFile broken(QDir(m_examples).filePath("zz_broken.nsproj"));
  QVERIFY(broken.open(QIODevice::WriteOnly));
  broken.write("{\"schema_version\": 1, \"canvas\": ");
  broken.close();
  qputenv("NS_EXAMPLES_DIR", m_examples.toUtf8());
  QCOMPARE(ns::ui::exampleProjectsDir(), QDir::cleanPath(m_examples));
}

void TstOpenExample::menuListsEveryExample() {
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  QMenu* menu = w.examplesMenu();
  QVERIFY(menu);
  const QList<QAction*> actions = menu->actions();
  QCOMPARE(actions.size(), m_names.size() + 1);
  QStringList titles;
  for (QAction* a : actions) titles << a->text();
  QVERIFY2(titles.contains("Red ball on grass"), qPrintable(titles.join(", ")));
  for (QAction* a : actions) {
    const QString file = QFileInfo(a->data().toString()).fileName();
    if (file == "zz_broken.nsproj") {
      QVERIFY(!a->isEnabled());
      QVERIFY2(a->toolTip().contains("zz_broken.nsproj"), qPrintable(a->toolTip()));  // the error names the file
    } else {
      QVERIFY2(a->isEnabled(), qPrintable(file));
      QVERIFY2(m_names.contains(file), qPrintable(file));
      auto p = ns::Project::open(a->data().toString().toStdString());
      QVERIFY(p.ok());
      // The tooltip says what it shows: the prompt the model gets, frames, size.
      QVERIFY2(a->toolTip().startsWith(QString::fromStdString(ns::fullPrompt(*p))), qPrintable(a->toolTip()));
      QVERIFY2(a->toolTip().contains(QString("%1 frames").arg(p->frames)), qPrintable(a->toolTip()));
    }
  }
}

void TstOpenExample::openingGivesAnUntitledCopy() {
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  int prompts = 0;
  w.unsavedPrompt = [&](const QString&) {
    ++prompts;
    return SaveAnswer::Cancel;
  };
  QAction* ball = nullptr;
  for (QAction* a : w.examplesMenu()->actions())
    if (a->data().toString().endsWith("red_ball_on_grass.nsproj")) ball = a;
  QVERIFY(ball);
  ball->trigger();
  const QString file = QDir(m_examples).filePath("red_ball_on_grass.nsproj");
  auto expected = ns::Project::open(file.toStdString());
  QVERIFY(expected.ok());
  expected->filePath.clear();
  QCOMPARE(w.document()->jsonText(), expected->toJsonText());
  QVERIFY(w.document()->filePath().isEmpty());
  QCOMPARE(w.document()->displayName(), QString("Copy of red_ball_on_grass.nsproj"));
  QVERIFY(w.windowTitle().startsWith("Copy of red_ball_on_grass.nsproj"));
  QVERIFY(!w.document()->isModified());

  // An edit, then another example: the unsaved-changes prompt guards it; Cancel keeps this one.
  w.document()->undoStack()->push(new QUndoCommand("noop"));
  const std::string before = w.document()->jsonText();
  QVERIFY(!w.openExample(QDir(m_examples).filePath(m_names.front())));
  QCOMPARE(prompts, 1);
  QCOMPARE(w.document()->jsonText(), before);
  QCOMPARE(w.document()->displayName(), QString("Copy of red_ball_on_grass.nsproj"));
  // File → New forgets the example's name.
  w.unsavedPrompt = [](const QString&) { return SaveAnswer::Discard; };
  QVERIFY(w.newDocument());
  QCOMPARE(w.document()->displayName(), QString("Untitled"));
}

void TstOpenExample::saveNeverOverwritesAnExample() {
  const QString example = QDir(m_examples).filePath("red_ball_on_grass.nsproj");
  const QByteArray shipped = fileHash(example);
  QVERIFY(!shipped.isEmpty());
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.unsavedPrompt = [](const QString&) { return SaveAnswer::Discard; };
  QStringList asked;
  QString answer;  // "" = the user cancels the Save As dialog
  w.saveFileDialog = [&](const QString& title, const QString&) {
    asked << title;
    return answer;
  };
  auto editPrompt = [&w] {
    w.document()->undoStack()->push(new QUndoCommand("noop"));  // marks the document modified
  };

  // Open Example, Save: the Save As dialog; cancelled, nothing is written.
  QVERIFY(w.openExample(example));
  editPrompt();
  QVERIFY(!w.save());
  QCOMPARE(asked.size(), 1);
  QCOMPARE(fileHash(example), shipped);
  // Answered: the copy is saved there and becomes the document's file.
  answer = QDir(m_tmp.path()).filePath("my_ball.nsproj");
  QVERIFY(w.save());
  QCOMPARE(asked.size(), 2);
  QCOMPARE(w.document()->filePath(), answer);
  QVERIFY(QFile::exists(answer));
  QCOMPARE(fileHash(example), shipped);

  // The example opened with plain File → Open: Save still asks instead of writing into examples/.
  QVERIFY(w.openProject(example));
  QCOMPARE(QFileInfo(w.document()->filePath()).canonicalFilePath(), QFileInfo(example).canonicalFilePath());
  editPrompt();
  answer.clear();
  QVERIFY(!w.save());
  QCOMPARE(asked.size(), 3);
  QCOMPARE(fileHash(example), shipped);
  // An ordinary project is saved in place, without a dialog.
  QVERIFY(w.openProject(QDir(m_tmp.path()).filePath("my_ball.nsproj")));
  editPrompt();
  QVERIFY(w.save());
  QCOMPARE(asked.size(), 3);
}

NS_REGISTER_TEST(TstOpenExample, initTestCase, cleanupTestCase, menuListsEveryExample, openingGivesAnUntitledCopy,
                 saveNeverOverwritesAnExample)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_open_example.moc"
#endif
