// The monkey (issue 19, "Reliability"): seeded random clicks, drags, keys, undo/redo, drops of the
// test pictures and a clip, menu actions, renders and cancels on the real window under xvfb, with
// invariants checked every 100 actions:
//   - undo all gives back the initial project byte for byte (serialised project JSON), and
//     redoing as many steps as were done the project as it was before the check;
//   - nothing logged at error level: spdlog error/critical (a sink records them) and Qt critical
//     messages. Expected user errors are not errors: a refused drop, a render without a model or a
//     failed job are shown in the banner and logged by JobController at warn level, so warnings are
//     counted and reported but do not fail the run;
//   - resident memory (/proc/self/statm) grows by less than 100 MB after the warm-up (the first
//     check, when the model, the first renders and Qt's caches are in);
//   - no crash, no hang: modal dialogs and popups are closed by a timer.
// Default: 3000 actions (about a minute; 500 took 13 s at load 16). Long mode: NS_MONKEY_SECONDS=600 (runs until the time
// is up) or NS_MONKEY_ACTIONS=N; NS_MONKEY_SEED picks the sequence (default 1); NS_MONKEY_TRACE=1
// prints each action as it starts (for crashes). On a failure the
// last actions are printed, so the seed reproduces it. Run by CTest as slow_monkey (README).
#include "tests/support/ns_test.h"

#include <QAbstractButton>
#include <QAbstractSpinBox>
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QDockWidget>
#include <QDropEvent>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QTimer>
#include <QToolBar>
#include <QUndoStack>

#include <ATen/ATen.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <deque>
#include <fstream>
#include <mutex>
#include <random>

#include "core/media/video_io.h"
#include "tests/ui/ui_test_util.h"
#include "ui/canvas/canvas_scene.h"
#include "ui/docks/farm_jobs_dock.h"
#include "ui/docks/model_dock.h"
#include "ui/docks/properties_dock.h"
#include "ui/jobs/job_controller.h"
#include "ui/project_document.h"
#include "ui/widgets/timeline_widget.h"

using ns::ui::MainWindow;

namespace {

// Records error-level spdlog messages from any thread (the model thread logs too).
class ErrorSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> errors() {
    std::lock_guard<std::mutex> lock(mutex_);
    return m_errors;
  }
  int warnings() {
    std::lock_guard<std::mutex> lock(mutex_);
    return m_warnings;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (msg.level >= spdlog::level::err) m_errors.emplace_back(msg.payload.begin(), msg.payload.end());
    else if (msg.level == spdlog::level::warn) ++m_warnings;
  }
  void flush_() override {}

 private:
  std::vector<std::string> m_errors;
  int m_warnings = 0;
};

// Qt's messages: critical/fatal are errors, warnings are counted (and the first few kept).
struct QtMessages {
  std::mutex mutex;
  QStringList errors, warnings;
  int warningCount = 0;
  QtMessageHandler previous = nullptr;
};
QtMessages* g_qt = nullptr;

void recordQtMessage(QtMsgType type, const QMessageLogContext& ctx, const QString& text) {
  if (g_qt) {
    std::lock_guard<std::mutex> lock(g_qt->mutex);
    if (type == QtCriticalMsg || type == QtFatalMsg) g_qt->errors << text;
    if (type == QtWarningMsg && ++g_qt->warningCount <= 20) g_qt->warnings << text;
  }
  if (g_qt && g_qt->previous) g_qt->previous(type, ctx, text);
}

double residentMb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

void drop(MainWindow& w, const QString& path, QPoint at) {
  QMimeData mime;
  mime.setUrls({QUrl::fromLocalFile(path)});
  QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &enter);
  if (!enter.isAccepted()) return;  // as a real drag: a refused enter gets no drop
  QDropEvent ev(QPointF(at), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &ev);
}

bool hasAncestor(QWidget* w, QWidget* ancestor) {
  for (QWidget* p = w; p; p = p->parentWidget())
    if (p == ancestor) return true;
  return false;
}

}  // namespace

class TstMonkey : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void randomActionsKeepInvariants();
  void cleanupTestCase();

 private:
  using Rng = std::mt19937_64;
  int pick(int n) { return int(std::uniform_int_distribution<int>(0, n - 1)(m_rng)); }
  double uniform() { return std::uniform_real_distribution<double>(0, 1)(m_rng); }
  QPointF canvasPoint();  // a canvas pixel, sometimes a little outside the canvas
  void act(MainWindow& w);
  void checkInvariants(MainWindow& w, int actions);
  void note(const QString& what);
  QString lastActions() const;
  void closeModals();

  Rng m_rng;
  QTemporaryDir m_tmp;
  std::shared_ptr<ErrorSink> m_sink;
  QtMessages m_qt;
  QStringList m_files;  // what the monkey drops
  std::deque<QString> m_recent;
  std::string m_initial;
  double m_baselineMb = -1, m_maxGrowthMb = 0;
  int m_modalsClosed = 0, m_renders = 0, m_cancels = 0, m_drops = 0, m_undos = 0, m_checks = 0;
  QPointer<MainWindow> m_window;
};

void TstMonkey::initTestCase() {
  uitest::isolate();
  m_sink = std::make_shared<ErrorSink>();
  spdlog::default_logger()->sinks().push_back(m_sink);
  if (spdlog::default_logger()->level() > spdlog::level::warn) spdlog::default_logger()->set_level(spdlog::level::warn);
  g_qt = &m_qt;
  m_qt.previous = qInstallMessageHandler(recordQtMessage);

  const QString data = QString::fromStdString(nstest::dataDir());
  for (const char* f : {"astronaut_64.png", "coffee_96.png", "hubble_128.jpg"}) m_files << data + "/" + f;
  // A short clip (decoded on the model thread when dropped) and files the window must refuse
  // with a message: a truncated PNG, text named .png, a missing file.
  const QString clip = m_tmp.filePath("clip.avi");
  const at::Tensor frames = at::linspace(-1, 1, 4 * 3 * 32 * 32).reshape({4, 3, 32, 32});
  QVERIFY(ns::media::writeVideo(clip.toStdString(), frames, 8.0).ok());
  m_files << clip;
  QFile png(data + "/astronaut_64.png");
  QVERIFY(png.open(QIODevice::ReadOnly));
  const QByteArray bytes = png.readAll();
  QFile cut(m_tmp.filePath("cut.png"));
  QVERIFY(cut.open(QIODevice::WriteOnly));
  cut.write(bytes.left(bytes.size() / 3));
  cut.close();
  QFile text(m_tmp.filePath("text.png"));
  QVERIFY(text.open(QIODevice::WriteOnly));
  text.write("not a picture\n");
  text.close();
  m_files << m_tmp.filePath("cut.png") << m_tmp.filePath("text.png") << m_tmp.filePath("missing.png");
}

void TstMonkey::cleanupTestCase() {
  qInstallMessageHandler(m_qt.previous);
  g_qt = nullptr;
  auto& sinks = spdlog::default_logger()->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), m_sink), sinks.end());
}

void TstMonkey::note(const QString& what) {
  // NS_MONKEY_TRACE=1 prints every action as it starts: a crash (no QVERIFY message) then shows
  // what the window was doing.
  static const bool trace = qEnvironmentVariableIntValue("NS_MONKEY_TRACE") == 1;
  if (trace) std::fprintf(stderr, "monkey: %s\n", qPrintable(what));
  m_recent.push_back(what);
  if (m_recent.size() > 40) m_recent.pop_front();
}

QString TstMonkey::lastActions() const {
  QStringList l;
  for (const QString& s : m_recent) l << s;
  return l.join(QStringLiteral("; "));
}

void TstMonkey::closeModals() {
  // A modal dialog (export dialog, a message box) runs its own event loop inside the action that
  // opened it: this runs from a timer inside that loop and closes it, so the monkey never hangs.
  if (QWidget* popup = QApplication::activePopupWidget()) popup->close();
  if (QWidget* modal = QApplication::activeModalWidget()) {
    if (auto* d = qobject_cast<QDialog*>(modal)) d->reject();
    else modal->close();
    ++m_modalsClosed;
  }
}

QPointF TstMonkey::canvasPoint() {
  const QSize c = m_window->canvasScene()->canvasSize();
  return {(uniform() * 1.2 - 0.1) * c.width(), (uniform() * 1.2 - 0.1) * c.height()};
}

void TstMonkey::act(MainWindow& w) {
  QWidget* vp = w.canvasView()->viewport();
  const int kind = pick(100);
  if (kind < 18) {  // a drag on the canvas with the current tool (draw, move, resize, paint)
    const QPointF a = canvasPoint(), b = canvasPoint();
    const int steps = 1 + pick(6);
    note(QString("drag (%1,%2)->(%3,%4)").arg(a.x(), 0, 'f', 0).arg(a.y(), 0, 'f', 0).arg(b.x(), 0, 'f', 0).arg(b.y(), 0, 'f', 0));
    QTest::mousePress(vp, Qt::LeftButton, Qt::NoModifier, uitest::viewPos(w, a));
    for (int i = 1; i <= steps; ++i) QTest::mouseMove(vp, uitest::viewPos(w, a + (b - a) * (double(i) / steps)));
    QTest::mouseRelease(vp, Qt::LeftButton, Qt::NoModifier, uitest::viewPos(w, b));
  } else if (kind < 28) {  // a click on the canvas (select, keyframe, deselect)
    const QPointF a = canvasPoint();
    note(QString("click (%1,%2)").arg(a.x(), 0, 'f', 0).arg(a.y(), 0, 'f', 0));
    QTest::mouseClick(vp, Qt::LeftButton, Qt::NoModifier, uitest::viewPos(w, a));
  } else if (kind < 36) {  // a tool by its key
    static const Qt::Key keys[] = {Qt::Key_V, Qt::Key_B, Qt::Key_T, Qt::Key_C, Qt::Key_M};
    const Qt::Key k = keys[pick(5)];
    note(QString("tool key %1").arg(QKeySequence(k).toString()));
    QTest::keyClick(vp, k);
  } else if (kind < 46) {  // undo
    note("Ctrl+Z");
    QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier);
  } else if (kind < 51) {  // redo
    note("Ctrl+Shift+Z");
    QTest::keyClick(&w, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
  } else if (kind < 55) {  // another frame (click on the timeline) or play/pause
    if (pick(4) == 0) {
      note("Space (play/pause)");
      w.canvasView()->setFocus();
      QTest::keyClick(w.canvasView(), Qt::Key_Space);
    } else {
      QWidget* t = w.timeline();
      const QPoint p(pick(std::max(1, t->width())), pick(std::max(1, t->height())));
      note(QString("timeline click (%1,%2)").arg(p.x()).arg(p.y()));
      QTest::mouseClick(t, Qt::LeftButton, Qt::NoModifier, p);
    }
  } else if (kind < 60) {  // typing into the prompt or the selected object's prompt
    static const char* words[] = {" red", " ball", " on grass", " sky", " blue star", " at night"};
    QWidget* edit = pick(2) ? static_cast<QWidget*>(w.propertiesDock()->promptEdit())
                            : static_cast<QWidget*>(w.propertiesDock()->objectPromptEdit());
    if (!edit->isEnabled() || !edit->isVisible()) edit = w.propertiesDock()->promptEdit();
    edit->setFocus();
    if (pick(3) == 0) {
      note("backspaces");
      for (int i = 0, n = 1 + pick(8); i < n; ++i) QTest::keyClick(edit, Qt::Key_Backspace);
    } else {
      const char* word = words[pick(6)];
      note(QString("type '%1'").arg(word));
      QTest::keyClicks(edit, word);
    }
  } else if (kind < 66) {  // a drop: a picture, the clip or a file the window refuses, anywhere
    const QString f = m_files[pick(int(m_files.size()))];
    const QPoint at = pick(2) ? w.canvasView()->viewport()->mapTo(&w, uitest::viewPos(w, canvasPoint()))
                              : QPoint(pick(w.width()), pick(w.height()));
    note(QString("drop %1 at (%2,%3)").arg(QFileInfo(f).fileName()).arg(at.x()).arg(at.y()));
    drop(w, f, at);
    ++m_drops;
  } else if (kind < 71) {  // render
    note("Ctrl+R");
    QTest::keyClick(&w, Qt::Key_R, Qt::ControlModifier);
    ++m_renders;
  } else if (kind < 75) {  // cancel
    note("Escape");
    QTest::keyClick(&w, Qt::Key_Escape);
    ++m_cancels;
  } else if (kind < 79) {  // delete the selected object
    note("Delete");
    w.canvasView()->setFocus();
    QTest::keyClick(w.canvasView(), Qt::Key_Delete);
  } else if (kind < 89) {  // a menu action (File: only those that keep the document)
    QList<QAction*> actions;
    for (QAction* m : w.menuBar()->actions()) {
      if (!m->menu()) continue;
      for (QAction* a : m->menu()->actions()) {
        if (a->isSeparator() || a->menu() || !a->isEnabled()) continue;
        const QString t = a->text();
        // New/Open/Quit replace or close the document (undo-all would not reach the start);
        // Save writes where the test does not look; the farm needs a cluster.
        if (t.contains("New") || t.contains("Open") || t.contains("Quit") || t.contains("Save") || t.contains("farm") ||
            t.contains("Farm"))
          continue;
        actions << a;
      }
    }
    if (actions.isEmpty()) return;
    QAction* a = actions[pick(int(actions.size()))];
    note(QString("menu '%1'").arg(a->text()));
    a->trigger();
  } else {  // a control in a dock or the tool bar (not the model or farm docks: they load other
            // models or need a cluster; not the canvas size: a 1024² render would stall the run)
    QList<QWidget*> controls;
    for (QWidget* c : w.findChildren<QWidget*>()) {
      if (!c->isVisible() || !c->isEnabled()) continue;
      if (!qobject_cast<QAbstractButton*>(c) && !qobject_cast<QAbstractSpinBox*>(c) && !qobject_cast<QComboBox*>(c) &&
          !qobject_cast<QLineEdit*>(c))
        continue;
      if (qobject_cast<QLineEdit*>(c) && qobject_cast<QAbstractSpinBox*>(c->parentWidget())) continue;
      if (hasAncestor(c, w.modelDock()) || hasAncestor(c, w.farmJobsDock()) ||
          c == w.propertiesDock()->sizeBox() || hasAncestor(c, w.menuBar()))
        continue;
      controls << c;
    }
    if (controls.isEmpty()) return;
    QWidget* c = controls[pick(int(controls.size()))];
    const QPoint p(pick(std::max(1, c->width())), pick(std::max(1, c->height())));
    const QString name = c->objectName().isEmpty() ? QString(c->metaObject()->className()) : c->objectName();
    if (auto* spin = qobject_cast<QAbstractSpinBox*>(c); spin && pick(2)) {
      note(QString("%1 %2").arg(name, pick(2) ? "Up" : "Down"));
      spin->setFocus();
      QTest::keyClick(spin, pick(2) ? Qt::Key_Up : Qt::Key_Down);
    } else {
      QString text;
      if (auto* b = qobject_cast<QAbstractButton*>(c)) text = b->text();
      note(QString("click %1 '%2' at (%3,%4)").arg(name, text).arg(p.x()).arg(p.y()));
      QTest::mouseClick(c, Qt::LeftButton, Qt::NoModifier, p);
    }
  }
}

void TstMonkey::checkInvariants(MainWindow& w, int actions) {
  ++m_checks;
  closeModals();
  const std::string before = w.document()->jsonText();
  QUndoStack* undo = w.undoStack();
  const int steps = undo->index(), count = undo->count();
  QStringList texts;  // the undo steps, for the report
  for (int i = 0; i < count; ++i) texts << undo->text(i);
  while (undo->canUndo()) undo->undo();
  const std::string initial = w.document()->jsonText();
  const int countUndone = undo->count();
  while (undo->index() < steps) undo->redo();  // back to where the user was (later steps stay redoable)
  const std::string after = w.document()->jsonText();
  size_t at = 0;  // where redo-all's project first differs
  while (at < after.size() && at < before.size() && after[at] == before[at]) ++at;
  const QString context =
      QString(" after %1 actions (seed %2); undo steps: %3 at index %4, %5 after undo-all, index %6 after redoing; "
              "steps: [%7]; redone project differs at byte %8: '%9' vs '%10'; last actions: %11")
          .arg(actions)
          .arg(qEnvironmentVariable("NS_MONKEY_SEED", "1"))
          .arg(count)
          .arg(steps)
          .arg(countUndone)
          .arg(undo->index())
          .arg(texts.join(QStringLiteral(" | ")))
          .arg(at)
          .arg(QString::fromStdString(before.substr(at > 80 ? at - 80 : 0, 160)))
          .arg(QString::fromStdString(after.substr(at > 80 ? at - 80 : 0, 160)))
          .arg(lastActions());
  QVERIFY2(initial == m_initial, qPrintable("undo all did not give back the initial project" + context + "\ninitial:\n" +
                                            QString::fromStdString(m_initial) + "\nundone:\n" + QString::fromStdString(initial)));
  QVERIFY2(after == before, qPrintable("redoing the undone steps did not give back the project" + context));
  QCOMPARE(undo->index(), steps);

  const auto errors = m_sink->errors();
  QVERIFY2(errors.empty(), qPrintable("error logged: " + QString::fromStdString(errors.empty() ? "" : errors.front()) + context));
  {
    std::lock_guard<std::mutex> lock(m_qt.mutex);
    QVERIFY2(m_qt.errors.isEmpty(), qPrintable("Qt critical message: " + m_qt.errors.value(0) + context));
  }
  const double mb = residentMb();
  if (m_baselineMb < 0) m_baselineMb = mb;  // warm-up ends at the first check
  m_maxGrowthMb = std::max(m_maxGrowthMb, mb - m_baselineMb);
  qInfo("monkey: %d actions, %d undo steps, RSS %.1f MB (%+.1f MB since warm-up), %d renders, %d cancels, %d drops, "
        "%d modals closed, %d warnings",
        actions, steps, mb, mb - m_baselineMb, m_renders, m_cancels, m_drops, m_modalsClosed, m_sink->warnings());
  QVERIFY2(mb - m_baselineMb < 100.0, qPrintable(QString("resident memory grew by %1 MB").arg(mb - m_baselineMb) + context));
}

void TstMonkey::randomActionsKeepInvariants() {
  const uint64_t seed = qEnvironmentVariable("NS_MONKEY_SEED", "1").toULongLong();
  const int seconds = qEnvironmentVariableIntValue("NS_MONKEY_SECONDS");
  const int maxActions = seconds > 0 ? INT_MAX : qEnvironmentVariable("NS_MONKEY_ACTIONS", "3000").toInt();
  m_rng.seed(seed);

  MainWindow w(nullptr, uitest::testOptions(m_tmp.filePath("rec")));
  m_window = &w;
  // Nothing may ask the user: prompts say Discard, file dialogs pick a test picture.
  w.unsavedPrompt = [](const QString&) { return ns::ui::SaveAnswer::Discard; };
  w.recoveryPrompt = [](const QString&, const QDateTime&) { return false; };
  w.openFileDialog = [this](const QString&, const QString&) { return m_files[pick(3)]; };
  w.saveFileDialog = [](const QString&, const QString&) { return QString(); };
  w.resize(1400, 900);
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  w.activateWindow();  // xvfb has no window manager: ask for the focus ourselves (shortcuts need it)
  QVERIFY(QTest::qWaitForWindowActive(&w));

  QTimer modalCloser;
  connect(&modalCloser, &QTimer::timeout, this, &TstMonkey::closeModals);
  modalCloser.start(150);

  // A small plan so renders take seconds: 4 frames, few steps. Its JSON is the start of undo-all.
  ns::Project start = ns::Project::untitled();
  start.frames = 4;
  start.render.steps = 6;
  start.prompt = "a red ball on grass";
  w.document()->reset(start);
  m_initial = w.document()->jsonText();
  w.modelDock()->loadButton()->click();
  QTRY_VERIFY_WITH_TIMEOUT(w.modelDock()->status().startsWith("Loaded") || w.modelDock()->status().startsWith("Not loaded"), 120000);
  qInfo("monkey: seed %llu, %s; model: %s", static_cast<unsigned long long>(seed),
        seconds > 0 ? qPrintable(QString("%1 s").arg(seconds)) : qPrintable(QString("%1 actions").arg(maxActions)),
        qPrintable(w.modelDock()->status()));

  QElapsedTimer clock;
  clock.start();
  int actions = 0;
  while (actions < maxActions && (seconds <= 0 || clock.elapsed() < qint64(seconds) * 1000)) {
    closeModals();
    act(w);
    ++actions;
    QTest::qWait(5 + pick(30));
    if (actions % 100 == 0) {
      checkInvariants(w, actions);
      if (QTest::currentTestFailed()) return;
    }
  }
  // The end: cancel what runs, let the queue drain, check once more.
  w.jobs()->cancelAll();
  QTRY_VERIFY_WITH_TIMEOUT(!w.jobs()->busy(), 120000);
  checkInvariants(w, actions);
  if (QTest::currentTestFailed()) return;
  qInfo("monkey: done: %d actions in %.0f s, max RSS growth after warm-up %.1f MB, %d checks, Qt warnings %d%s",
        actions, clock.elapsed() / 1000.0, m_maxGrowthMb, m_checks, m_qt.warningCount,
        m_qt.warnings.isEmpty() ? "" : qPrintable(" (first: " + m_qt.warnings.front() + ")"));
  w.close();
}

NS_REGISTER_TEST(TstMonkey, initTestCase, randomActionsKeepInvariants, cleanupTestCase)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "slow_monkey.moc"
#endif
