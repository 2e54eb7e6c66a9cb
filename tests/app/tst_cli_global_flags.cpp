// Global options after the verb (issue 19, item 6): the README writes
// `noisestudio-cli model eval --samples 256 --json`, which used to fail with "The following argument
// was not expected: --json" because global flags were accepted only before the verb. Checks that
// --json after a verb and a nested verb gives the JSON result, that the same flag before the verb
// still works, and that an unknown option after the verb is still a usage error (exit 1).
#include "tests/support/ns_test.h"

#include "tests/app/cli_test_util.h"

#include <nlohmann/json.hpp>

namespace {
using clitest::Run;
using clitest::runCli;
}  // namespace

class TstCliGlobalFlags : public QObject {
  Q_OBJECT
 private slots:
  void jsonAfterTheVerb();
  void unknownOptionAfterTheVerbIsUsageError();
};

void TstCliGlobalFlags::jsonAfterTheVerb() {
  for (const QStringList& args : {QStringList{"info", "--json"}, QStringList{"--json", "info"},
                                  QStringList{"model", "info", "--json"}, QStringList{"model", "eval", "--samples", "2",
                                                                                      "--steps", "2", "--json"}}) {
    Run r = runCli(args);
    QVERIFY2(r.code == 0, args.join(' ').toStdString() + ": exit " + std::to_string(r.code) + ": " + r.err);
    const auto j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
    QVERIFY2(j.is_object(), args.join(' ').toStdString() + " printed no JSON: " + r.out);
  }
}

void TstCliGlobalFlags::unknownOptionAfterTheVerbIsUsageError() {
  Run r = runCli({"model", "info", "--no-such-option"});
  QCOMPARE(r.code, 1);
  QVERIFY2(r.err.find("--no-such-option") != std::string::npos, r.err);
}

NS_REGISTER_TEST(TstCliGlobalFlags, jsonAfterTheVerb, unknownOptionAfterTheVerbIsUsageError)
#ifdef NS_HAVE_QTEST
#include "tst_cli_global_flags.moc"
#endif
