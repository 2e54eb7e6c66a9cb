#pragma once
// Helpers shared by the ui tests (header-only, included by tst_*.cpp in tests/ui).

#include <QCoreApplication>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QWidget>

#include "ui/main_window.h"

namespace uitest {

// Once per test class: keeps tests out of the user's settings/data and away from Vulkan.
inline void isolate() {
  QStandardPaths::setTestModeEnabled(true);
  QCoreApplication::setOrganizationName(QStringLiteral("NoiseStudioTest"));
  QCoreApplication::setApplicationName(QStringLiteral("tst_ui"));
  qputenv("NS_PREVIEW_FORCE_FALLBACK", "1");
}

inline ns::ui::MainWindowOptions testOptions(const QString& recoveryDir) {
  ns::ui::MainWindowOptions o;
  o.recoveryDir = recoveryDir;
  o.offerRecovery = false;
  o.loadModelAtStart = false;
  o.autosaveIntervalMs = 3600 * 1000;
  return o;
}

// Window position of a canvas point (canvas pixels).
inline QPoint viewPos(ns::ui::MainWindow& w, QPointF canvasPoint);

}  // namespace uitest

#include "ui/canvas/canvas_view.h"

inline QPoint uitest::viewPos(ns::ui::MainWindow& w, QPointF p) { return w.canvasView()->mapFromScene(p); }
