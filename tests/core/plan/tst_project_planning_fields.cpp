// Tests the project-format fields of model planning (docs/project-format.md): "generate" objects
// and the optional seeds round-trip, a project without a background gets the model-painted one,
// an existing project's JSON reads and writes back byte for byte, and a "generate" object
// without a prompt is refused naming the field.
#include "tests/support/ns_test.h"

#include "core/plan/project.h"

namespace {

const char* kOldProject = R"({
  "schema_version": 1,
  "canvas": {"width": 64, "height": 64},
  "fps": 8.0,
  "frames": 16,
  "prompt": "on grass",
  "negative_prompt": "",
  "seed": 7,
  "model": "builtin",
  "background": {"kind": "generate", "prompt": "grass"},
  "objects": [
    {"id": "ball", "prompt": "a red ball", "z": 0, "source": {"kind": "shape", "shape": "ball", "colour": "red"},
     "trajectory": {"interpolation": "linear", "keyframes": [{"frame": 0, "box": [0.1, 0.5, 0.3, 0.7]}]}}
  ]
})";

}  // namespace

class TstProjectPlanningFields : public QObject {
  Q_OBJECT
 private slots:
  void generateFieldsRoundTrip();
  void oldProjectsLoadUnchanged();
  void missingBackgroundIsGenerated();
  void generatedObjectNeedsAPrompt();
};

void TstProjectPlanningFields::generateFieldsRoundTrip() {
  auto p = ns::Project::fromJsonText(kOldProject);
  QVERIFY2(p.ok(), p.ok() ? "" : p.error().message);
  p->background.seed = 123;
  p->objects[0].source = ns::ObjectSource{};
  p->objects[0].source.kind = ns::SourceKind::Generate;
  p->objects[0].source.seed = 18446744073709551615ull;  // the whole seed range survives
  const std::string text = p->toJsonText();
  QVERIFY(text.find("\"kind\": \"generate\"") != std::string::npos);
  auto back = ns::Project::fromJsonText(text);
  QVERIFY2(back.ok(), back.ok() ? "" : back.error().message);
  QCOMPARE(back->objects[0].source.kind, ns::SourceKind::Generate);
  QVERIFY(back->background.seed.has_value());
  QCOMPARE(*back->background.seed, uint64_t(123));
  QCOMPARE(*back->objects[0].source.seed, 18446744073709551615ull);
  QCOMPARE(back->toJsonText(), text);
  // Without seeds nothing is written for them.
  back->background.seed.reset();
  back->objects[0].source.seed.reset();
  QVERIFY(back->toJsonText().find("\"seed\": 123") == std::string::npos);
  // A seed on a kind that has none is an unknown field.
  auto wrong = ns::Project::fromJsonText(
      R"({"schema_version": 1, "canvas": {"width": 64, "height": 64}, "fps": 8, "frames": 2, "prompt": "x", "seed": 1,
          "model": "builtin", "background": {"kind": "colour", "colour": "#ffffff", "seed": 3}, "objects": []})");
  QVERIFY(!wrong.ok());
  QVERIFY2(wrong.error().message.find("background.seed: unknown field") != std::string::npos, wrong.error().message);
}

void TstProjectPlanningFields::oldProjectsLoadUnchanged() {
  auto p = ns::Project::fromJsonText(kOldProject);
  QVERIFY2(p.ok(), p.ok() ? "" : p.error().message);
  QCOMPARE(p->background.kind, ns::BackgroundKind::Generate);
  QCOMPARE(p->background.prompt, std::string("grass"));
  QVERIFY(!p->background.seed.has_value());
  QCOMPARE(p->objects[0].source.kind, ns::SourceKind::BuiltinShape);
  auto again = ns::Project::fromJsonText(p->toJsonText());
  QVERIFY(again.ok());
  QCOMPARE(again->toJsonText(), p->toJsonText());
  QVERIFY(p->toJsonText().find("seed\": 7") != std::string::npos);
  // Nothing new is written for it: the only "seed" is the project's.
  const std::string text = p->toJsonText();
  int seeds = 0;
  for (size_t at = text.find("\"seed\""); at != std::string::npos; at = text.find("\"seed\"", at + 1)) ++seeds;
  QCOMPARE(seeds, 1);
}

void TstProjectPlanningFields::missingBackgroundIsGenerated() {
  auto p = ns::Project::fromJsonText(
      R"({"schema_version": 1, "canvas": {"width": 64, "height": 64}, "fps": 8, "frames": 2,
          "prompt": "a red ball on grass", "seed": 1, "model": "builtin", "objects": []})");
  QVERIFY2(p.ok(), p.ok() ? "" : p.error().message);
  QCOMPARE(p->background.kind, ns::BackgroundKind::Generate);
  QCOMPARE(p->background.prompt, std::string());
  const ns::Project fresh = ns::Project::untitled();
  QCOMPARE(fresh.background.kind, ns::BackgroundKind::Generate);
  QVERIFY(fresh.validate().ok());  // an empty prompt everywhere is still a valid (unconditional) plan
}

void TstProjectPlanningFields::generatedObjectNeedsAPrompt() {
  auto p = ns::Project::fromJsonText(kOldProject);
  QVERIFY(p.ok());
  p->objects[0].prompt = "  ";
  p->objects[0].source = ns::ObjectSource{};
  p->objects[0].source.kind = ns::SourceKind::Generate;
  auto v = p->validate();
  QVERIFY(!v.ok());
  QVERIFY2(v.error().message.find("objects[0].prompt: must say what to generate") != std::string::npos, v.error().message);
}

NS_REGISTER_TEST(TstProjectPlanningFields, generateFieldsRoundTrip, oldProjectsLoadUnchanged, missingBackgroundIsGenerated,
                 generatedObjectNeedsAPrompt)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_project_planning_fields.moc"
#endif
