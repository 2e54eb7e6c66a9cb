// Tests core/jobs/job_context.h and core/util/result.h: cancel crosses threads, progress reaches
// the callback, Result carries values and errors.
#include "tests/support/ns_test.h"

#include <thread>

#include "core/jobs/job_context.h"
#include "core/util/result.h"

class TstJobContext : public QObject {
  Q_OBJECT
 private slots:
  void cancelFromAnotherThread();
  void progressReachesCallback();
  void resultHoldsValueOrError();
};

void TstJobContext::cancelFromAnotherThread() {
  ns::JobContext ctx;
  QVERIFY(!ctx.cancelled());
  std::thread t([&ctx] { ctx.cancel(); });
  t.join();
  QVERIFY(ctx.cancelled());
  QVERIFY(!ctx.report(1, 2, "denoise"));  // report() tells loops to stop
}

void TstJobContext::progressReachesCallback() {
  std::vector<int> steps;
  ns::JobContext ctx([&steps](const ns::JobProgress& p) {
    steps.push_back(p.step);
    QCOMPARE(p.total, 3);
  });
  for (int i = 1; i <= 3; ++i) QVERIFY(ctx.report(i, 3, "denoise"));
  QCOMPARE(int(steps.size()), 3);
  QCOMPARE(steps.back(), 3);
}

void TstJobContext::resultHoldsValueOrError() {
  ns::Result<int> ok = 42;
  QVERIFY(ok.ok());
  QCOMPARE(ok.value(), 42);
  ns::Result<int> bad = ns::makeError(ns::ErrorKind::BadInput, "x.png: file not found");
  QVERIFY(!bad.ok());
  QCOMPARE(bad.error().message, std::string("x.png: file not found"));
  QVERIFY(bad.error().kind == ns::ErrorKind::BadInput);
  ns::Result<void> v;
  QVERIFY(v.ok());
}

NS_REGISTER_TEST(TstJobContext, cancelFromAnotherThread, progressReachesCallback, resultHoldsValueOrError)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_job_context.moc"
#endif
