// Runs every test class registered in this binary (one binary per module) and returns the
// number of failed test functions. With Qt, each class runs through QTest::qExec.
// NS_TEST_CLASSES=TstA,TstB runs only those classes (a second CTest entry re-runs one class of a
// binary under other settings, e.g. tst_ui_preview_swapchain).
#include "tests/support/ns_test.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#ifdef NS_TEST_GUI
#include <QApplication>
#elif defined(NS_HAVE_QTEST)
#include <QCoreApplication>
#endif

namespace nstest {
std::vector<Entry>& registry() {
  static std::vector<Entry> r;
  return r;
}
std::string dataDir() { return NS_TEST_DATA_DIR; }
}  // namespace nstest

int main(int argc, char** argv) {
#ifdef NS_TEST_GUI
  QApplication app(argc, argv);
#elif defined(NS_HAVE_QTEST)
  QCoreApplication app(argc, argv);
#endif
  const char* only = std::getenv("NS_TEST_CLASSES");
  const std::string classes = only ? "," + std::string(only) + "," : std::string();
  int failed = 0, ran = 0;
  for (auto& e : nstest::registry()) {
    if (only && classes.find("," + std::string(e.name) + ",") == std::string::npos) continue;
    failed += e.run(argc, argv);
    ++ran;
  }
  if (ran == 0) {
    std::fprintf(stderr, "%s: no test class matches NS_TEST_CLASSES=%s\n", argc > 0 ? argv[0] : "test", only ? only : "");
    return 1;
  }
  std::fprintf(stderr, "%s: %d failed test function(s)\n", argc > 0 ? argv[0] : "test", failed);
  return failed == 0 ? 0 : 1;
}
