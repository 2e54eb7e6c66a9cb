// Runs every test class registered in this binary (one binary per module) and returns the
// number of failed test functions. With Qt, each class runs through QTest::qExec.
#include "tests/support/ns_test.h"

#include <cstdio>
#include <cstdlib>

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
  int failed = 0;
  for (auto& e : nstest::registry()) failed += e.run(argc, argv);
  std::fprintf(stderr, "%s: %d failed test function(s)\n", argc > 0 ? argv[0] : "test", failed);
  return failed == 0 ? 0 : 1;
}
