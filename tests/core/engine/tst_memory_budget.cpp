// Tests core/engine/memory_budget.h (issue #10 item 4c): the estimate's arithmetic, the available
// memory sources and override, and that generate / renderProject refuse a request that does not
// fit before running a single step, with a message giving the estimate and what is available.
#include "tests/support/ns_test.h"

#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

#include "core/engine/engine.h"
#include "core/engine/memory_budget.h"
#include "core/engine/render_project.h"
#include "core/model/builtin_model.h"

namespace {
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

int64_t memAvailableFromProc() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kb = -1;
  while (in >> key)
    if (key == "MemAvailable:" && (in >> kb)) return kb * 1024;
  return -1;
}
}  // namespace

class TstMemoryBudget : public QObject {
  Q_OBJECT
 private slots:
  void estimateIsTheProductOfTheShape();
  void availableMemoryComesFromProcOrOverride();
  void oversizedRequestIsRefusedWithNumbers();
  void generateRefusesBeforeTheFirstStep();
  void cleanupTestCase();
};

void TstMemoryBudget::estimateIsTheProductOfTheShape() {
  ns::MemoryRequest r;
  r.batch = 2;
  r.frames = 16;
  r.channels = 3;
  r.height = 64;
  r.width = 64;
  r.bytesPerElement = 4;
  r.activationFactor = 48;
  QCOMPARE(ns::estimateMemoryBytes(r), int64_t(2) * 16 * 3 * 64 * 64 * 4 * 48);  // 75.5 MB
  r.activationFactor = 1.5;
  QCOMPARE(ns::estimateMemoryBytes(r), int64_t(2) * 16 * 3 * 64 * 64 * 4 * 3 / 2);
  // Doubling frames doubles the estimate; absurd shapes saturate instead of wrapping negative.
  r.activationFactor = 48;
  const int64_t base = ns::estimateMemoryBytes(r);
  r.frames = 32;
  QCOMPARE(ns::estimateMemoryBytes(r), 2 * base);
  r.frames = 1 << 20;
  r.height = r.width = 1 << 20;
  QCOMPARE(ns::estimateMemoryBytes(r), std::numeric_limits<int64_t>::max());
  QCOMPARE(ns::formatBytes(75'497'472), std::string("75 MB"));
  QCOMPARE(ns::formatBytes(3'100'000'000), std::string("3.1 GB"));
}

void TstMemoryBudget::availableMemoryComesFromProcOrOverride() {
  unsetenv("NS_AVAILABLE_MEMORY_MB");
  ns::setAvailableMemoryOverride(0);
  auto cpu = ns::availableMemory("cpu");
  QVERIFY(cpu.has_value());
  QCOMPARE(cpu->source, std::string("MemAvailable"));
  const int64_t proc = memAvailableFromProc();
  QVERIFY(proc > 0);
  // MemAvailable moves a little between two reads: within 5 %.
  QVERIFY2(std::llabs(cpu->bytes - proc) < proc / 20, std::to_string(cpu->bytes) + " vs " + std::to_string(proc));
  // CPU LibTorch has no CUDA runtime loaded: CUDA availability is unknown, so nothing is refused.
  QVERIFY(!ns::availableMemory("cuda").has_value());

  setenv("NS_AVAILABLE_MEMORY_MB", "300", 1);
  QCOMPARE(ns::availableMemory("cpu")->bytes, int64_t(300) << 20);
  QCOMPARE(ns::availableMemory("cpu")->source, std::string("NS_AVAILABLE_MEMORY_MB"));
  ns::setAvailableMemoryOverride(12345678);
  QCOMPARE(ns::availableMemory("cpu")->bytes, int64_t(12345678));  // the API override wins
  QCOMPARE(ns::availableMemory("cuda")->source, std::string("override"));
  ns::setAvailableMemoryOverride(0);
  unsetenv("NS_AVAILABLE_MEMORY_MB");
  QCOMPARE(ns::availableMemory("cpu")->source, std::string("MemAvailable"));
}

void TstMemoryBudget::oversizedRequestIsRefusedWithNumbers() {
  ns::MemoryRequest r;
  r.batch = 2;
  r.frames = 16;
  r.height = r.width = 64;  // 75.5 MB with the default factor 48
  ns::setAvailableMemoryOverride(100'000'000);
  QVERIFY(ns::checkMemoryBudget("render", r, "cpu").ok());
  ns::setAvailableMemoryOverride(50'000'000);
  auto refused = ns::checkMemoryBudget("render", r, "cpu");
  QVERIFY(!refused.ok());
  QVERIFY(refused.error().kind == ns::ErrorKind::BadInput);
  const std::string& m = refused.error().message;
  QVERIFY2(contains(m, "render: needs about 75 MB"), m);
  QVERIFY2(contains(m, "2 x 16 frames x 3 x 64 x 64 x 4 bytes x 48"), m);
  QVERIFY2(contains(m, "50 MB is available (override)"), m);
  ns::setAvailableMemoryOverride(0);
}

void TstMemoryBudget::generateRefusesBeforeTheFirstStep() {
  auto model = ns::loadBuiltinModel(ns::findBuiltinModelDir());
  if (!model.ok()) QSKIP(("built-in model not available: " + model.error().message).c_str());
  int reports = 0;
  ns::JobContext ctx([&reports](const ns::JobProgress&) { ++reports; });
  ns::GenerateRequest req;
  req.prompt = "a red ball on grass";
  req.steps = 2;
  req.frames = 64;  // 2 x 64 x 3 x 64 x 64 x 4 x 48 = 302 MB
  ns::setAvailableMemoryOverride(100'000'000);
  auto refused = ns::generate(*model, req, ctx);
  QVERIFY(!refused.ok());
  QVERIFY2(contains(refused.error().message, "generate: needs about 302 MB"), refused.error().message);
  QVERIFY2(contains(refused.error().message, "100 MB is available"), refused.error().message);
  QCOMPARE(reports, 0);  // not a single step ran

  // renderProject denoises image models one frame per call, so what must not fit is one frame:
  // 2 x 1 x 3 x 512 x 512 x 4 x 48 = 302 MB.
  ns::RenderProjectRequest render;
  render.project.frames = 4;
  render.project.width = render.project.height = 512;
  render.stepsOverride = 1;
  auto refusedRender = ns::renderProject(*model, render, ctx);
  QVERIFY(!refusedRender.ok());
  QVERIFY2(contains(refusedRender.error().message, "render: needs about"), refusedRender.error().message);
  QCOMPARE(reports, 0);

  // The same request with room for it runs.
  req.frames = 2;
  auto ran = ns::generate(*model, req, ctx);
  QVERIFY2(ran.ok(), ran.ok() ? "" : ran.error().message);
  QCOMPARE(ran->frames.count, 2);
  QVERIFY(reports > 0);
  ns::setAvailableMemoryOverride(0);
}

void TstMemoryBudget::cleanupTestCase() {
  ns::setAvailableMemoryOverride(0);
  unsetenv("NS_AVAILABLE_MEMORY_MB");
}

NS_REGISTER_TEST(TstMemoryBudget, estimateIsTheProductOfTheShape, availableMemoryComesFromProcOrOverride,
                 oversizedRequestIsRefusedWithNumbers, generateRefusesBeforeTheFirstStep, cleanupTestCase)
#ifdef NS_HAVE_QTEST
#include "tst_memory_budget.moc"
#endif
