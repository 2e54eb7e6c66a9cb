// Tests the small ui pieces on their own: timeline scrub/play, properties dock (dice, edits ->
// field names), noise inspector text, ETA text, drop classification, recovery store, PNG export.
#include "tests/support/ns_test.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QTemporaryDir>
#include <QToolButton>

#include "core/jobs/job_context.h"
#include "core/model/builtin_model.h"
#include "core/model/model_bundle.h"
#include "ui/docks/model_dock.h"
#include "ui/docks/noise_dock.h"
#include "ui/docks/properties_dock.h"
#include "ui/files/drop_classifier.h"
#include "ui/files/recovery_store.h"
#include "ui/frame_convert.h"
#include "ui/jobs/media_jobs.h"
#include "ui/jobs/model_loader.h"
#include "ui/widgets/job_progress_bar.h"
#include "ui/widgets/timeline_ruler.h"
#include "ui/widgets/timeline_widget.h"

using namespace ns::ui;

class TstWidgets : public QObject {
  Q_OBJECT
 private slots:
  void timelineScrubsAndPlays();
  void propertiesDockReportsFields();
  void noiseInspectorShowsStats();
  void etaText();
  void dropKinds();
  void recoveryStoreRoundTrip();
  void pngSequenceExport();
  void modelDockOffersInstalledPacks();
};

void TstWidgets::timelineScrubsAndPlays() {
  TimelineWidget t;
  t.resize(600, 40);
  t.show();
  QVERIFY(QTest::qWaitForWindowExposed(&t));
  t.setFrameCount(16);
  t.setKeyframes({0, 7, 15});
  QSignalSpy changed(&t, &TimelineWidget::currentFrameChanged);
  TimelineRuler* r = t.ruler();
  QTest::mouseClick(r, Qt::LeftButton, Qt::NoModifier, QPoint(r->xOf(7), r->height() / 2));
  QCOMPARE(t.currentFrame(), 7);
  QCOMPARE(changed.count(), 1);
  QCOMPARE(changed.at(0).at(0).toInt(), 7);
  QCOMPARE(r->frameAt(r->xOf(15)), 15);
  QCOMPARE(r->frameAt(-50), 0);
  QCOMPARE(r->frameAt(r->width() + 50), 15);
  // Playback at 50 fps wraps around the clip.
  t.setFps(50);
  t.setCurrentFrame(14);
  changed.clear();
  t.play();
  QTRY_VERIFY_WITH_TIMEOUT(changed.count() >= 3, 2000);
  t.pause();
  QCOMPARE(changed.at(0).at(0).toInt(), 15);
  QCOMPARE(changed.at(1).at(0).toInt(), 0);
  QVERIFY(!t.isPlaying());
}

void TstWidgets::propertiesDockReportsFields() {
  PropertiesDock d;
  RenderValues v;
  v.prompt = "on grass";
  v.seed = 42;
  v.steps = 25;
  v.guidance = 5.5;
  v.noiseRatio = 0.6;
  v.inversionSkip = 12;
  v.method = ns::InitMethod::DdimInversion;
  QSignalSpy edited(&d, &PropertiesDock::edited);
  d.setValues(v);
  QCOMPARE(edited.count(), 0);  // filling from the Project is not an edit
  QVERIFY(d.values() == v);
  d.setSeedSource([] { return quint64(777); });
  d.diceButton()->click();
  QCOMPARE(edited.count(), 1);
  QCOMPARE(edited.at(0).at(0).toString(), QString("seed"));
  QCOMPARE(d.values().seed, quint64(777));
  d.promptEdit()->moveCursor(QTextCursor::End);
  QTest::keyClicks(d.promptEdit(), "!");
  QCOMPARE(edited.last().at(0).toString(), QString("prompt"));
  QCOMPARE(d.values().prompt, QString("on grass!"));
}

void TstWidgets::noiseInspectorShowsStats() {
  NoiseDock d;
  d.setStats({0.0123, 0.9987, -0.0042});
  QVERIFY2(d.statsText().contains("0.0123") && d.statsText().contains("0.9987") && d.statsText().contains("-0.0042"),
           qPrintable(d.statsText()));
  NoiseValues v;
  v.recipe = ns::NoiseKind::FreeNoise;
  v.window = 24;
  v.stride = 6;
  d.setValues(v);
  QVERIFY(d.values() == v);
}

void TstWidgets::etaText() {
  QCOMPARE(formatEta(0.4), QString("0 s"));
  QCOMPARE(formatEta(12.4), QString("12 s"));
  QCOMPARE(formatEta(65), QString("1 min 05 s"));
  JobProgressBar b;
  b.begin("render");
  b.setProgress(5, 20, 9.6, "denoise");
  QCOMPARE(b.text(), QString("denoise 5/20 · ETA 10 s"));
  QCOMPARE(b.value(), 5);
  QCOMPARE(b.maximum(), 20);
  // Long SD generations: seconds per step, then the ETA (steps left x s/step).
  b.setProgress(3, 30, 27 * 4.3, "denoise", 4.3);
  QCOMPARE(b.text(), QString("denoise 3/30 · 4.3 s/step · ETA 1 min 56 s"));
  b.setProgress(30, 30, 0, "denoise", 0.38);
  QCOMPARE(b.text(), QString("denoise 30/30 · 0.38 s/step"));
  b.setProgress(1, 5, 0, "load unet", 0);  // nothing timed yet: neither figure
  QCOMPARE(b.text(), QString("load unet 1/5"));
  QCOMPARE(formatSecondsPerStep(14.4), QString("14 s/step"));
}

void TstWidgets::dropKinds() {
  QTemporaryDir tmp;
  auto touch = [&](const QString& name) {
    QFile f(QDir(tmp.path()).filePath(name));
    f.open(QIODevice::WriteOnly);
    f.write("x");
    return f.fileName();
  };
  QVERIFY2(classifyDrop(touch("a.PNG")) == DropKind::Image, qPrintable(toString(classifyDrop(touch("a.PNG")))));
  QVERIFY2(classifyDrop(touch("b.jpeg")) == DropKind::Image, qPrintable(toString(classifyDrop(touch("b.jpeg")))));
  QVERIFY2(classifyDrop(touch("c.mp4")) == DropKind::Video, qPrintable(toString(classifyDrop(touch("c.mp4")))));
  QVERIFY2(classifyDrop(touch("d.nsproj")) == DropKind::Project, qPrintable(toString(classifyDrop(touch("d.nsproj")))));
  QVERIFY2(classifyDrop(touch("e.txt")) == DropKind::Unknown, qPrintable(toString(classifyDrop(touch("e.txt")))));
  QVERIFY2(classifyDrop(QDir(tmp.path()).filePath("missing.png")) == DropKind::Unknown, qPrintable(toString(classifyDrop(QDir(tmp.path()).filePath("missing.png")))));
  QDir(tmp.path()).mkdir("pack");
  QVERIFY2(classifyDrop(QDir(tmp.path()).filePath("pack")) == DropKind::Unknown, qPrintable(toString(classifyDrop(QDir(tmp.path()).filePath("pack")))));
  touch("pack/model.json");
  QVERIFY2(classifyDrop(QDir(tmp.path()).filePath("pack")) == DropKind::ModelPack, qPrintable(toString(classifyDrop(QDir(tmp.path()).filePath("pack")))));
  // Stable Diffusion checkpoints: single files by extension, diffusers folders by model_index.json.
  for (const char* name : {"v1-5.safetensors", "old.CKPT", "w.pt", "w.pth"})
    QVERIFY2(classifyDrop(touch(name)) == DropKind::SdCheckpoint, name);
  QDir(tmp.path()).mkdir("diffusers");
  QVERIFY(classifyDrop(QDir(tmp.path()).filePath("diffusers")) == DropKind::Unknown);
  touch("diffusers/model_index.json");
  QVERIFY(classifyDrop(QDir(tmp.path()).filePath("diffusers")) == DropKind::SdCheckpoint);
  QVERIFY(!isSdCheckpointPath(QDir(tmp.path()).filePath("missing.safetensors")));
}

void TstWidgets::recoveryStoreRoundTrip() {
  QTemporaryDir tmp;
  RecoveryStore s(QDir(tmp.path()).filePath("rec"));
  QVERIFY(!s.exists());
  QVERIFY(!s.read().ok());
  QVERIFY(s.write("{\"schema_version\": 1}", "/home/a/scene.nsproj").ok());
  QVERIFY(s.exists());
  auto e = s.read();
  QVERIFY(e.ok());
  QCOMPARE(e->projectJson, std::string("{\"schema_version\": 1}"));
  QCOMPARE(e->originalPath, QString("/home/a/scene.nsproj"));
  QVERIFY(std::abs(e->savedAt.secsTo(QDateTime::currentDateTimeUtc())) < 60);
  s.clear();
  QVERIFY(!s.exists());
}

void TstWidgets::pngSequenceExport() {
  ns::FrameBuffer fb;
  fb.kind = ns::FrameKind::Image;
  fb.count = 3, fb.channels = 3, fb.height = 4, fb.width = 5;
  fb.data.assign(fb.count * fb.frameSize(), 0.0f);
  for (int f = 0; f < 3; ++f) fb.frame(f)[0] = f / 2.0f;  // red of pixel (0,0): 0, 0.5, 1
  QTemporaryDir tmp;
  auto n = exportPngSequence(fb, tmp.path(), "shot");
  QVERIFY(n.ok());
  QCOMPARE(*n, 3);
  for (int f = 0; f < 3; ++f) {
    const QImage img(QDir(tmp.path()).filePath(QString("shot_%1.png").arg(f, 4, 10, QChar('0'))));
    QCOMPARE(img.size(), QSize(5, 4));
    QCOMPARE(qRed(img.pixel(0, 0)), int(std::lround(f / 2.0 * 255)));
  }
  // Round trip through QImage keeps 8-bit values exactly.
  const ns::FrameBuffer back = imageToFrames(frameToImage(fb, 2));
  QCOMPARE(back.at(0, 0, 0, 0), 1.0f);
  ns::FrameBuffer noise = fb;
  noise.kind = ns::FrameKind::Noise;
  QVERIFY(!exportPngSequence(noise, tmp.path(), "n").ok());

  // All or nothing. The folder now holds shot_0000..0002 (red 0, 128, 255 at (0,0)).
  const QDir d(tmp.path());
  const auto redOf = [&](int f) { return qRed(QImage(d.filePath(QString("shot_%1.png").arg(f, 4, 10, QChar('0')))).pixel(0, 0)); };
  const auto stagingLeft = [&] { return !d.entryList({".ns-export-*"}, QDir::AllEntries | QDir::Hidden).isEmpty(); };
  ns::FrameBuffer bright = fb;
  for (int f = 0; f < 3; ++f) bright.frame(f)[0] = 1.0f;
  // Cancelled after the first frame: nothing replaced, nothing staged left behind.
  ns::JobContext ctx;
  ctx.setProgressCallback([&ctx](const ns::JobProgress& p) {
    if (p.step >= 1) ctx.cancel();
  });
  auto cancelled = exportPngSequence(bright, tmp.path(), "shot", &ctx);
  QVERIFY(!cancelled.ok());
  QVERIFY(cancelled.error().kind == ns::ErrorKind::Cancelled);
  QCOMPARE(redOf(0), 0);
  QCOMPARE(redOf(1), 128);
  QVERIFY(!stagingLeft());
  // A target name taken by a folder: refused before anything moves, naming it.
  QVERIFY(d.mkdir("shot_0003.png"));
  ns::FrameBuffer four = bright;
  four.count = 4;
  four.data.resize(four.count * four.frameSize(), 1.0f);
  auto blocked = exportPngSequence(four, tmp.path(), "shot");
  QVERIFY(!blocked.ok());
  QVERIFY2(blocked.error().message.find("shot_0003.png") != std::string::npos, blocked.error().message);
  QCOMPARE(redOf(0), 0);
  QVERIFY(!stagingLeft());
  // The model-thread job: replaces the files, reports progress, is marked committed.
  ns::ModelBundle bundle;
  ns::JobContext jobCtx;
  int lastStep = -1;
  jobCtx.setProgressCallback([&](const ns::JobProgress& p) { lastStep = p.step; });
  auto job = writePngSequenceJob(bright, tmp.path(), "shot")(bundle, jobCtx);
  QVERIFY2(job.ok(), job.ok() ? "" : job.error().message);
  QVERIFY(job->report.committed);
  QCOMPARE(lastStep, 3);
  for (int f = 0; f < 3; ++f) QCOMPARE(redOf(f), 255);
  QVERIFY(!stagingLeft());
}

void TstWidgets::modelDockOffersInstalledPacks() {
  // A model folder with a pack in the built-in format (a copy of the shipped model), a pack whose
  // model.json is broken, and a folder that is not a pack.
  QTemporaryDir tmp;
  QDir root(tmp.path());
  root.mkpath("models/b_shapes_copy");
  root.mkpath("models/a_broken");
  root.mkpath("models/not_a_pack");
  const QString builtin = QString::fromStdString(ns::findBuiltinModelDir());
  QVERIFY2(!builtin.isEmpty(), "the shipped built-in model is needed");
  for (const char* f : {"model.json", "weights.safetensors", "verifier.safetensors"})
    QVERIFY(QFile::copy(builtin + "/" + f, root.filePath(QString("models/b_shapes_copy/") + f)));
  {
    QFile broken(root.filePath("models/a_broken/model.json"));
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write("{\"format\": \"noisestudio-pack\", ");
  }
  qputenv("NS_MODEL_DIR", root.filePath("models").toUtf8());
  QCOMPARE(userModelFolder(), root.filePath("models"));
  const QStringList packs = findInstalledModelPacks(userModelFolder());
  QCOMPARE(packs, (QStringList{root.filePath("models/a_broken"), root.filePath("models/b_shapes_copy")}));
  qunsetenv("NS_MODEL_DIR");

  ModelDock dock;
  dock.setInstalledPacks(packs);
  QCOMPARE(dock.installedPacks()->count(), 3);  // the prompt row + two packs
  QCOMPARE(dock.installedPacks()->itemText(2), QString("b_shapes_copy"));
  ModelChoice c;
  c.source = ModelSource::Pack;
  dock.setChoice(c);
  QVERIFY(dock.installedPacks()->isEnabled());
  emit dock.installedPacks()->activated(2);
  QCOMPARE(dock.choice().source, ModelSource::Pack);
  QCOMPARE(dock.choice().path, root.filePath("models/b_shapes_copy"));

  // The loader: the built-in-format folder loads as the built-in model; the broken pack fails
  // with a message that names its model.json.
  ns::JobContext ctx;
  auto good = modelLoader(dock.choice())(ctx);
  QVERIFY2(good.ok(), good.ok() ? "" : good.error().message.c_str());
  QVERIFY(good->valid());
  c.path = root.filePath("models/a_broken");
  auto bad = modelLoader(c)(ctx);
  QVERIFY(!bad.ok());
  QVERIFY2(bad.error().message.find("model.json") != std::string::npos, bad.error().message.c_str());
}

NS_REGISTER_TEST(TstWidgets, timelineScrubsAndPlays, propertiesDockReportsFields, noiseInspectorShowsStats, etaText,
                 dropKinds, recoveryStoreRoundTrip, pngSequenceExport, modelDockOffersInstalledPacks)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_widgets.moc"
#endif
