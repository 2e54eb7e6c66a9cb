// Tests that the window explains itself: every interactive control of the main window, its docks
// and its dialogs (export, render on farm) has a tooltip (the failure names each one that has
// none); every keyboard shortcut belongs to one action only and that action is in a menu (where
// Qt shows the key next to it); the tool keys choose their tools and Ctrl+R renders, with no
// "Ambiguous shortcut" from Qt.
#include "tests/support/ns_test.h"

#include <QAbstractButton>
#include <QAbstractItemView>
#include <QAbstractSlider>
#include <QAbstractSpinBox>
#include <QAction>
#include <QActionGroup>
#include <QComboBox>
#include <QDialog>
#include <QHeaderView>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QSet>
#include <QTabBar>
#include <QTextEdit>

#include <algorithm>

#include "tests/ui/ui_test_util.h"
#include "ui/canvas/canvas_scene.h"
#include "ui/export/export_dialog.h"
#include "ui/farm/farm_submit_dialog.h"
#include "ui/widgets/error_banner.h"

using ns::ui::CanvasTool;
using ns::ui::MainWindow;

namespace {
// A control the user works with, as opposed to labels, layouts and Qt's own internals.
bool isControl(QWidget* w) {
  if (w->objectName().startsWith(QLatin1String("qt_"))) return false;  // dock/tool bar buttons Qt makes
  if (qobject_cast<QScrollBar*>(w) || qobject_cast<QHeaderView*>(w)) return false;
  // Parts of a spin box or combo box (its line edit, its popup list) share the box's tooltip; the
  // scroll arrows of the tab bar Qt puts under tabbed docks are Qt's own.
  for (QWidget* p = w->parentWidget(); p; p = p->parentWidget())
    if (qobject_cast<QAbstractSpinBox*>(p) || qobject_cast<QComboBox*>(p) || qobject_cast<QTabBar*>(p)) return false;
  return qobject_cast<QAbstractButton*>(w) || qobject_cast<QComboBox*>(w) || qobject_cast<QAbstractSpinBox*>(w) ||
         qobject_cast<QLineEdit*>(w) || qobject_cast<QPlainTextEdit*>(w) || qobject_cast<QTextEdit*>(w) ||
         qobject_cast<QAbstractSlider*>(w) || qobject_cast<QAbstractItemView*>(w) ||
         w->inherits("ns::ui::PreviewWidget") || w->inherits("ns::ui::TimelineRuler");
}

// "QPushButton 'Load model' in modelDock" for the failure message.
QString describe(QWidget* w) {
  QString text;
  if (auto* b = qobject_cast<QAbstractButton*>(w)) text = b->text();
  else if (auto* e = qobject_cast<QLineEdit*>(w)) text = e->placeholderText();
  QString where;
  for (QWidget* p = w->parentWidget(); p; p = p->parentWidget())
    if (!p->objectName().isEmpty() && !p->objectName().startsWith(QLatin1String("qt_"))) {
      where = p->objectName();
      break;
    }
  return QStringLiteral("%1 '%2' (object name '%3') in %4")
      .arg(QString::fromLatin1(w->metaObject()->className()), text, w->objectName(), where);
}

QStringList controlsWithoutTooltip(QWidget* root) {
  QStringList missing;
  QList<QWidget*> all = root->findChildren<QWidget*>();
  all.prepend(root);
  for (QWidget* w : all)
    if (isControl(w) && w->toolTip().trimmed().isEmpty()) missing << describe(w);
  return missing;
}

void collectMenuActions(QMenu* menu, QSet<QAction*>& out) {
  for (QAction* a : menu->actions()) {
    out.insert(a);
    if (a->menu()) collectMenuActions(a->menu(), out);
  }
}

// Qt's "QAction::event: Ambiguous shortcut overload: …" while a test presses keys.
QStringList g_ambiguous;
QtMessageHandler g_previous = nullptr;
void catchAmbiguous(QtMsgType type, const QMessageLogContext& ctx, const QString& msg) {
  if (msg.contains(QLatin1String("Ambiguous shortcut"))) g_ambiguous << msg;
  if (g_previous) g_previous(type, ctx, msg);
}
}  // namespace

class TstControlsHelp : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { uitest::isolate(); }
  void everyControlHasATooltip();
  void shortcutsAreUniqueAndInMenus();
  void toolKeysChooseToolsAndCtrlRRenders();

 private:
  QTemporaryDir m_tmp;
};

void TstControlsHelp::everyControlHasATooltip() {
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  // The walk must see the controls that matter, or it proves nothing.
  const QList<QWidget*> widgets = w.findChildren<QWidget*>();
  const int controls = int(std::count_if(widgets.begin(), widgets.end(), isControl));
  QVERIFY2(controls >= 40, qPrintable(QString("only %1 controls found in the window").arg(controls)));
  QStringList missing = controlsWithoutTooltip(&w);

  ns::ui::ExportDialog exportDialog(16, 64, 64, m_tmp.path(), QStringLiteral("clip"), &w);
  missing << controlsWithoutTooltip(&exportDialog);
  ns::ui::FarmSubmitDialog* farm = w.renderOnFarm();
  QVERIFY(farm);
  missing << controlsWithoutTooltip(farm);
  farm->reject();
  QVERIFY2(missing.isEmpty(), qPrintable("controls without a tooltip:\n  " + missing.join("\n  ")));

  // The check itself catches a control without one.
  auto* bare = new QPushButton(QStringLiteral("Bare"), w.centralWidget());
  QCOMPARE(controlsWithoutTooltip(&w).size(), 1);
  delete bare;
}

void TstControlsHelp::shortcutsAreUniqueAndInMenus() {
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  QSet<QAction*> inMenus;
  for (QAction* top : w.menuBar()->actions())
    if (top->menu()) collectMenuActions(top->menu(), inMenus);

  QHash<QString, QStringList> owners;  // key -> actions that have it
  QStringList notInMenu;
  auto survey = [&] {
    owners.clear();
    notInMenu.clear();
    QSet<QAction*> actions;
    for (QAction* a : w.findChildren<QAction*>()) actions.insert(a);
    for (QWidget* child : w.findChildren<QWidget*>())
      for (QAction* a : child->actions()) actions.insert(a);
    for (QAction* a : actions) {
      if (a->shortcuts().isEmpty()) continue;
      const QString name = a->text().remove(QLatin1Char('&'));
      for (const QKeySequence& k : a->shortcuts()) owners[k.toString(QKeySequence::PortableText)] << name;
      if (!inMenus.contains(a)) notInMenu << name;
    }
    QStringList clashes;
    for (auto it = owners.cbegin(); it != owners.cend(); ++it)
      if (it.value().size() > 1) clashes << it.key() + ": " + it.value().join(", ");
    return clashes;
  };
  const QStringList clashes = survey();
  QVERIFY2(clashes.isEmpty(), qPrintable("shortcuts on more than one action:\n  " + clashes.join("\n  ")));
  QVERIFY2(notInMenu.isEmpty(), qPrintable("actions with a shortcut but in no menu: " + notInMenu.join(", ")));
  // The survey itself sees a second action on Ctrl+R that is in no menu.
  {
    QAction rogue(QStringLiteral("Rogue"), &w);
    rogue.setShortcut(QKeySequence(QStringLiteral("Ctrl+R")));
    const QStringList caught = survey();
    QCOMPARE(caught.size(), 1);
    QVERIFY2(caught.front().startsWith("Ctrl+R: ") && caught.front().contains("Rogue"), qPrintable(caught.front()));
    QCOMPARE(notInMenu, QStringList{QStringLiteral("Rogue")});
  }
  survey();

  // The tools and the job actions named in the brief all have keys.
  for (const char* key : {"V", "B", "T", "C", "M", "Ctrl+R", "Esc", "Ctrl+L", "Ctrl+Shift+N", "Ctrl+Z", "Ctrl+S", "Ctrl+E"})
    QVERIFY2(owners.contains(QString::fromLatin1(key)), key);
  // The Tools menu lists every tool with its key.
  QMenu* tools = w.findChild<QMenu*>(QStringLiteral("toolsMenu"));
  QVERIFY(tools);
  QStringList toolKeys;
  for (QAction* a : tools->actions())
    if (!a->isSeparator()) toolKeys << a->shortcut().toString(QKeySequence::PortableText);
  for (const char* key : {"V", "B", "T", "C", "M", "Ctrl+R", "Esc"}) QVERIFY2(toolKeys.contains(QString::fromLatin1(key)), key);
}

void TstControlsHelp::toolKeysChooseToolsAndCtrlRRenders() {
  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  w.activateWindow();
  QVERIFY(QTest::qWaitForWindowActive(&w));
  w.canvasView()->setFocus();
  g_ambiguous.clear();
  g_previous = qInstallMessageHandler(catchAmbiguous);
  const struct {
    Qt::Key key;
    CanvasTool tool;
  } keys[] = {{Qt::Key_B, CanvasTool::Box},           {Qt::Key_T, CanvasTool::Trajectory}, {Qt::Key_C, CanvasTool::CutOut},
              {Qt::Key_M, CanvasTool::MaskBrush},     {Qt::Key_V, CanvasTool::Select}};
  for (const auto& k : keys) {
    QTest::keyClick(w.canvasView(), k.key);
    QCOMPARE(w.canvasScene()->tool(), k.tool);
  }
  // Ctrl+R renders: with no model loaded in tests, the render says so in the banner.
  QVERIFY(w.errorBanner()->isHidden());
  QTest::keyClick(w.canvasView(), Qt::Key_R, Qt::ControlModifier);
  QTRY_VERIFY_WITH_TIMEOUT(!w.errorBanner()->isHidden(), 2000);
  QVERIFY2(w.errorBanner()->message().contains("No model"), qPrintable(w.errorBanner()->message()));
  qInstallMessageHandler(g_previous);
  QVERIFY2(g_ambiguous.isEmpty(), qPrintable(g_ambiguous.join("\n")));
}

NS_REGISTER_TEST(TstControlsHelp, initTestCase, everyControlHasATooltip, shortcutsAreUniqueAndInMenus,
                 toolKeysChooseToolsAndCtrlRRenders)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_controls_help.moc"
#endif
