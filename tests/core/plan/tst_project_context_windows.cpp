// Tests the project's video context-window settings (render.context_windows, docs/project-format.md):
// defaults 16 / 4 / stride 0 / no loop / freenoise are not written (older files keep their bytes),
// changed settings round-trip through the JSON, and bad values are refused naming the field.
#include "tests/support/ns_test.h"

#include "core/plan/project.h"

namespace {

std::string withContext(const std::string& contextJson) {
  return R"({"schema_version": 1, "canvas": {"width": 64, "height": 64}, "fps": 8, "frames": 4, "prompt": "x", "model": "builtin",
             "seed": 1, "background": {"kind": "colour", "colour": "#ffffff"}, "objects": [],
             "render": {"steps": 10, "context_windows": )" +
         contextJson + "}}";
}

bool mentions(const ns::Result<ns::Project>& r, const std::string& part) {
  return !r.ok() && r.error().message.find(part) != std::string::npos;
}

}  // namespace

class TstProjectContextWindows : public QObject {
  Q_OBJECT
 private slots:
  void defaultsAreNotWritten();
  void settingsRoundTrip();
  void badSettingsAreRefused();
};

void TstProjectContextWindows::defaultsAreNotWritten() {
  ns::Project p;
  QCOMPARE(p.render.context.length, int64_t(16));
  QCOMPARE(p.render.context.overlap, int64_t(4));
  QCOMPARE(p.render.context.stride, int64_t(0));
  QVERIFY(!p.render.context.loop);
  QVERIFY(p.render.fusion == ns::WindowFusion::FreeNoise);
  QVERIFY(p.toJsonText().find("context_windows") == std::string::npos);
}

void TstProjectContextWindows::settingsRoundTrip() {
  ns::Project p;
  p.render.context.length = 12;
  p.render.context.overlap = 3;
  p.render.context.stride = 5;
  p.render.context.loop = true;
  p.render.fusion = ns::WindowFusion::Average;
  const std::string text = p.toJsonText();
  QVERIFY(text.find("\"fusion\": \"average\"") != std::string::npos);
  auto back = ns::Project::fromJsonText(text);
  QVERIFY2(back.ok(), back.ok() ? "" : back.error().message);
  QCOMPARE(back->render.context.length, int64_t(12));
  QCOMPARE(back->render.context.overlap, int64_t(3));
  QCOMPARE(back->render.context.stride, int64_t(5));
  QVERIFY(back->render.context.loop);
  QVERIFY(back->render.fusion == ns::WindowFusion::Average);
  QCOMPARE(back->toJsonText(), text);
  // A partial object keeps the defaults of what it leaves out.
  auto partial = ns::Project::fromJsonText(withContext(R"({"length": 8})"));
  QVERIFY2(partial.ok(), partial.ok() ? "" : partial.error().message);
  QCOMPARE(partial->render.context.length, int64_t(8));
  QCOMPARE(partial->render.context.overlap, int64_t(4));
  QVERIFY(partial->render.fusion == ns::WindowFusion::FreeNoise);
  // With a stride the overlap is not used: the default overlap 4 may exceed a short length.
  auto strided = ns::Project::fromJsonText(withContext(R"({"length": 4, "stride": 2, "loop": true})"));
  QVERIFY2(strided.ok(), strided.ok() ? "" : strided.error().message);
  QCOMPARE(strided->render.context.effectiveStride(), int64_t(2));
}

void TstProjectContextWindows::badSettingsAreRefused() {
  QVERIFY(mentions(ns::Project::fromJsonText(withContext(R"({"fusion": "mean"})")),
                   "render.context_windows.fusion: \"mean\" is not one of freenoise, average"));
  QVERIFY(mentions(ns::Project::fromJsonText(withContext(R"({"loop": "yes"})")),
                   "render.context_windows.loop: expected true or false"));
  QVERIFY(mentions(ns::Project::fromJsonText(withContext(R"({"length": 8, "overlap": 8})")),
                   "render.context_windows.overlap"));
  QVERIFY(mentions(ns::Project::fromJsonText(withContext(R"({"length": 0})")), "render.context_windows.length"));
  QVERIFY(mentions(ns::Project::fromJsonText(withContext(R"({"stride": 20})")), "render.context_windows.stride"));
  QVERIFY(mentions(ns::Project::fromJsonText(withContext(R"({"windows": 3})")),
                   "render.context_windows.windows: unknown field"));
  QVERIFY(mentions(ns::Project::fromJsonText(withContext("7")), "render.context_windows: expected an object"));
}

NS_REGISTER_TEST(TstProjectContextWindows, defaultsAreNotWritten, settingsRoundTrip, badSettingsAreRefused)
#ifdef NS_HAVE_QTEST
#include "tst_project_context_windows.moc"
#endif
