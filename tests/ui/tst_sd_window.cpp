// Tests Stable Diffusion checkpoints in the window (issue 15, items 3 and 4): a tiny random-weight
// SD 1.x-layout .safetensors and an SDXL-like file in a temporary model folder. The model dock
// lists both (the SD file with "SD 1.x, F16" and its size, the SDXL one with its refusal, not
// selectable) and the listing is timed per file; dropping the SD file loads it on the model thread
// with progress per part and it becomes the current model; the size choices follow it (512 native);
// a 2-frame, 2-step render at 64 px gives frames of that size with per-step previews before the
// result and s/step in the progress; dropping the SDXL file shows the banner naming the file and
// "SDXL", and the current model stays (a second render still runs on it).
// The tiny networks need 2 attention heads: NS_SD_UNET_HEADS / NS_SD_TEXT_HEADS (model_loader.h).

#include "tests/support/ns_test.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QElapsedTimer>
#include <QFile>
#include <QMimeData>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QUndoStack>
#include <QUrl>

#include <functional>
#include <map>
#include <string>

#include "core/jobs/job_context.h"
#include "core/model/model_bundle.h"
#include "core/model/safetensors.h"
#include "core/model/sd/sd_unet.h"
#include "core/model/sd/sd_vae.h"
#include "tests/support/sd_tiny_weights.h"
#include "tests/ui/ui_test_util.h"
#include "ui/commands/edit_project_command.h"
#include "ui/docks/model_dock.h"
#include "ui/docks/model_sizes.h"
#include "ui/docks/properties_dock.h"
#include "ui/jobs/job_controller.h"
#include "ui/jobs/model_listing.h"
#include "ui/jobs/model_loader.h"
#include "ui/project_document.h"
#include "ui/widgets/error_banner.h"

using ns::ui::MainWindow;

namespace {

// A tiny SD 1.x checkpoint in the original layout, stored F16: UNet (32 channels, 2 levels,
// 2 heads, context 32), VAE (downscale 8), 2-layer text tower 32 wide. Returns its tensor count.
int writeTinySd1(const std::string& path) {
  at::manual_seed(21);
  const ns::sd::UnetConfig u = sdtest::tinyUnetConfig();
  const ns::sd::VaeConfig v = sdtest::tinyVaeConfig();
  std::map<std::string, at::Tensor> all;
  for (auto& [k, t] : ns::sd::SdUnet::createRandom(u, 22)->state("model.diffusion_model.")) all[k] = t;
  for (auto& [k, t] : ns::sd::SdVae::createRandom(v, 23)->state("first_stage_model.")) all[k] = t;
  for (auto& [k, t] : sdtest::tinyClipTextWeights(64, 32, 2)) all["cond_stage_model.transformer." + k] = t;
  for (auto& [k, t] : all)
    if (t.is_floating_point()) t = t.to(at::kHalf);
  if (!ns::writeSafetensors(path, all).ok()) return 0;
  return int(all.size());
}

void dropOn(MainWindow& w, const QString& path) {
  QMimeData mime;
  mime.setUrls({QUrl::fromLocalFile(path)});
  QDragEnterEvent enter(QPoint(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &enter);
  QVERIFY2(enter.isAccepted(), qPrintable("the window must accept a drag of " + path));
  QDropEvent drop(QPointF(100, 100), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &drop);
}

void editProject(MainWindow& w, const std::function<void(ns::Project&)>& f) {
  w.document()->undoStack()->push(new ns::ui::EditProjectCommand(w.document(), "test setup", f));
}

}  // namespace

class TstSdWindow : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void sizesFollowTheModel();
  void checkpointListedDroppedAndRendered();
  void loadStopsBetweenParts();
  void listingOfManyCheckpointsIsQuick();
  void cleanupTestCase();

 private:
  QTemporaryDir m_tmp;
  QString m_models, m_sd1, m_sdxl;
  int m_sd1Tensors = 0;
};

void TstSdWindow::initTestCase() {
  uitest::isolate();
  QVERIFY(m_tmp.isValid());
  m_models = QDir(m_tmp.path()).filePath("models");
  QVERIFY(QDir().mkpath(m_models));
  m_sd1 = QDir(m_models).filePath("tiny_sd1.safetensors");
  m_sd1Tensors = writeTinySd1(m_sd1.toStdString());
  QVERIFY(m_sd1Tensors > 100);
  // SDXL is told apart by its conditioner.embedders.* text towers; refused by name from the header.
  m_sdxl = QDir(m_models).filePath("sdxl_like.safetensors");
  std::map<std::string, at::Tensor> xl;
  xl["conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight"] = at::zeros({8, 4}).to(at::kHalf);
  xl["model.diffusion_model.input_blocks.0.0.weight"] = at::zeros({8, 4, 3, 3}).to(at::kHalf);
  QVERIFY(ns::writeSafetensors(m_sdxl.toStdString(), xl).ok());
  qputenv("NS_MODEL_DIR", m_models.toUtf8());
  qputenv("NS_CLIP_TOKENIZER_DIR", QByteArray::fromStdString(nstest::dataDir() + "/clip_tiny"));
  qputenv("NS_SD_UNET_HEADS", "2");
  qputenv("NS_SD_TEXT_HEADS", "2");
}

void TstSdWindow::sizesFollowTheModel() {
  // SD 1.x: native 512 and the usual 128-px steps; SD 2.x 768-v: 768 among them; the built-in
  // 64 px model: half to double its size on its grid.
  QCOMPARE(ns::ui::squareSizesFor(512, 8), (QList<int>{256, 384, 512, 640, 768, 896, 1024}));
  QCOMPARE(ns::ui::squareSizesFor(768, 8), (QList<int>{256, 384, 512, 640, 768, 896, 1024}));
  QCOMPARE(ns::ui::squareSizesFor(576, 64), (QList<int>{256, 384, 512, 576, 640, 768, 896, 1024}));
  QCOMPARE(ns::ui::squareSizesFor(64, 16), (QList<int>{32, 64, 96, 128}));
  QCOMPARE(ns::ui::squareSizesFor(96, 32), (QList<int>{96, 192}));  // 48 and 144 are off a 32 px grid
  QCOMPARE(ns::ui::squareSizesFor(0, 8), QList<int>{});
  // Aspect ratios: the native size is the short side, the long side on the grid.
  QStringList sd1;
  for (const auto& c : ns::ui::sizeChoicesFor(512, 8))
    sd1 << QString("%1x%2 %3").arg(c.size.width()).arg(c.size.height()).arg(c.label);
  for (const char* expected : {"512x512 512 × 512 (native)", "768x512 768 × 512 (3:2 landscape)",
                               "512x768 512 × 768 (2:3 portrait)", "680x512 680 × 512 (4:3 landscape)",
                               "912x512 912 × 512 (16:9 landscape)", "512x912 512 × 912 (9:16 portrait)"})
    QVERIFY2(sd1.contains(expected), qPrintable(QString("%1 not in: %2").arg(expected, sd1.join(", "))));
  QCOMPARE(ns::ui::sizeChoicesFor(512, 8).size(), 7 + 6);
  for (const auto& c : ns::ui::sizeChoicesFor(64, 16)) {
    QVERIFY2(c.size.width() % 16 == 0 && c.size.height() % 16 == 0, qPrintable(c.label));
    QVERIFY2(std::min(c.size.width(), c.size.height()) >= 32, qPrintable(c.label));
  }
  QVERIFY(ns::ui::sizeChoicesFor(0, 8).isEmpty());
}

void TstSdWindow::checkpointListedDroppedAndRendered() {
  // The listing, timed: the header of each file is read, never its weights.
  {
    QElapsedTimer t;
    t.start();
    const QList<ns::ui::ModelListEntry> entries = ns::ui::listModelFolder(m_models);
    const double ms = t.nsecsElapsed() / 1e6;
    qInfo("model listing: %lld entries in %.1f ms (%.1f ms per file; the SD file has %d tensors)",
          static_cast<long long>(entries.size()), ms, ms / std::max<qsizetype>(1, entries.size()), m_sd1Tensors);
    QCOMPARE(entries.size(), 2);
    QVERIFY2(ms / entries.size() < 100, qPrintable(QString("%1 ms per file").arg(ms / entries.size())));
  }

  MainWindow w(nullptr, uitest::testOptions(m_tmp.path()));
  w.resize(1400, 900);
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  ns::ui::ModelDock* dock = w.modelDock();
  QComboBox* list = dock->installedModels();
  // The listing runs off the UI thread: the prompt row, then the two files by name.
  QTRY_COMPARE_WITH_TIMEOUT(list->count(), 3, 10000);
  const QString sdRow = list->itemText(2), xlRow = list->itemText(1);
  const QRegularExpression sdLabel(QStringLiteral("^tiny_sd1\\.safetensors — SD 1\\.x, F16, \\d+ (kB|MB)$"));
  QVERIFY2(sdLabel.match(sdRow).hasMatch(), qPrintable(sdRow));
  QVERIFY2(xlRow.startsWith("sdxl_like.safetensors — cannot load: ") && xlRow.contains("SDXL"), qPrintable(xlRow));
  auto* items = qobject_cast<QStandardItemModel*>(list->model());
  QVERIFY(items);
  QVERIFY2(!items->item(1)->isEnabled(), "a file that failed to probe must not be selectable");
  QVERIFY(items->item(2)->isEnabled());
  QCOMPARE(list->itemData(2).toString(), QFileInfo(m_sd1).absoluteFilePath());

  // Drop the SD file: it loads on the model thread, reporting its parts, and becomes current.
  QSignalSpy progress(w.jobs(), &ns::ui::JobController::progressChanged);
  dropOn(w, m_sd1);
  QTRY_VERIFY_WITH_TIMEOUT(dock->currentPath() == m_sd1, 60000);
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  QVERIFY2(dock->status().startsWith("Loaded: "), qPrintable(dock->status()));
  QVERIFY2(dock->currentText().contains("tiny_sd1.safetensors"), qPrintable(dock->currentText()));
  QStringList stages;
  for (const auto& args : progress) stages << args.at(4).toString();
  for (const char* part : {"load reading", "load unet", "load vae", "load text"})
    QVERIFY2(stages.contains(part), qPrintable(QString("no progress for '%1' in: %2").arg(part, stages.join(", "))));

  // Sizes follow the model: 512 native, the usual 128-px steps; the project's 64 px kept listed.
  QComboBox* sizes = w.propertiesDock()->sizeBox();
  QStringList sizeTexts;
  for (int i = 0; i < sizes->count(); ++i) sizeTexts << sizes->itemText(i);
  QVERIFY2(sizeTexts.contains("512 × 512 (native)") && sizeTexts.contains("768 × 768") && sizeTexts.contains("256 × 256"),
           qPrintable(sizeTexts.join(", ")));
  QCOMPARE(sizes->currentText(), QString("64 × 64"));
  // Picking a size edits the project (undoable), then back to 64 px for a quick render.
  sizes->setCurrentIndex(sizes->findText("512 × 512 (native)"));
  emit sizes->activated(sizes->currentIndex());
  QCOMPARE(w.document()->project().width, 512);
  QCOMPARE(w.document()->project().height, 512);
  w.document()->undoStack()->undo();
  QCOMPARE(w.document()->project().width, 64);
  // Portraits and landscapes are offered too, and set both sides.
  sizes->setCurrentIndex(sizes->findText("512 × 768 (2:3 portrait)"));
  QVERIFY(sizes->currentIndex() >= 0);
  emit sizes->activated(sizes->currentIndex());
  QCOMPARE(w.document()->project().width, 512);
  QCOMPARE(w.document()->project().height, 768);
  w.document()->undoStack()->undo();
  QCOMPARE(w.document()->project().height, 64);

  // A 2-frame, 2-step render from pure noise at 96 x 64 (a small landscape): previews arrive
  // before the result, both at the project's size.
  editProject(w, [](ns::Project& p) {
    p.width = 96;
    p.frames = 2;
    p.render.steps = 2;
    p.render.noiseRatio = 1.0;
    p.prompt = "a cat";
  });
  QStringList events;
  ns::FrameBuffer lastPreview;  // the denoising's (the model-planned background's come first)
  const auto onPreview = connect(w.jobs(), &ns::ui::JobController::previewReady, this, [&](ns::ui::RequestId, const ns::FrameBuffer& f) {
    lastPreview = f;
    events << "preview";
  });
  const auto onResult = connect(w.jobs(), &ns::ui::JobController::resultReady, this, [&](ns::ui::RequestId, ns::ui::JobKind, const QString&) {
    events << "result";
  });
  progress.clear();
  w.render();
  QTRY_VERIFY_WITH_TIMEOUT(events.contains("result"), 120000);
  QVERIFY2(w.errorBanner()->isHidden(), qPrintable(w.errorBanner()->message()));
  QCOMPARE(w.resultFrames().count, 2);
  QCOMPARE(w.resultFrames().width, 96);
  QCOMPARE(w.resultFrames().height, 64);
  QVERIFY2(events.size() >= 2 && events.first() == "preview" && events.last() == "result", qPrintable(events.join(", ")));
  QCOMPARE(lastPreview.width, 96);
  QCOMPARE(lastPreview.height, 64);
  QCOMPARE(lastPreview.channels, 3);
  double perStep = 0;
  for (const auto& args : progress)
    if (args.at(4).toString() == "denoise") perStep = std::max(perStep, args.at(5).toDouble());
  qInfo("tiny SD render at 96 x 64 px: %.3f s/step, %lld previews", perStep, static_cast<long long>(events.count("preview")));
  QVERIFY2(perStep > 0, "the progress must carry seconds per step once a denoising step ran");

  // An SDXL file dropped: the banner names the file and the family; the current model stays.
  dropOn(w, m_sdxl);
  QTRY_VERIFY_WITH_TIMEOUT(!w.errorBanner()->isHidden(), 30000);
  const QString message = w.errorBanner()->message();
  QVERIFY2(message.contains("sdxl_like.safetensors") && message.contains("SDXL"), qPrintable(message));
  QCOMPARE(dock->currentPath(), m_sd1);
  QVERIFY2(dock->status().contains("kept the current model"), qPrintable(dock->status()));
  QCOMPARE(dock->choice().path, m_sd1);  // the dock shows the model that is loaded again
  events.clear();
  w.render();
  QTRY_VERIFY_WITH_TIMEOUT(events.contains("result"), 120000);
  QCOMPARE(w.resultFrames().width, 96);
  disconnect(onPreview);
  disconnect(onResult);
}

void TstSdWindow::loadStopsBetweenParts() {
  // The dock names a checkpoint by its path; the loader reports each part and stops at the next
  // part boundary once the job is cancelled (here: while the UNet part is announced).
  ns::ui::ModelDock dock;
  ns::ui::ModelChoice c;
  c.source = ns::ui::ModelSource::Pack;
  c.path = m_sd1;
  dock.setChoice(c);
  QVERIFY(dock.choice().source == ns::ui::ModelSource::Checkpoint);
  QStringList stages;
  ns::JobContext ctx;
  ctx.setProgressCallback([&](const ns::JobProgress& p) {
    stages << QString::fromStdString(p.stage);
    if (p.stage == "load unet") ctx.cancel();
  });
  auto r = ns::ui::modelLoader(dock.choice())(ctx);
  QVERIFY(!r.ok());
  QVERIFY2(r.error().kind == ns::ErrorKind::Cancelled, r.error().message.c_str());
  QCOMPARE(stages, (QStringList{"load reading", "load unet"}));
  // Not cancelled: the same choice loads, every part reported in order.
  ns::JobContext ok;
  QStringList all;
  ok.setProgressCallback([&](const ns::JobProgress& p) { all << QString::fromStdString(p.stage); });
  auto m = ns::ui::modelLoader(dock.choice())(ok);
  QVERIFY2(m.ok(), m.ok() ? "" : m.error().message.c_str());
  QVERIFY(m->valid());
  QCOMPARE(all, (QStringList{"load reading", "load unet", "load vae", "load text", "load tokenizer", "load done"}));
}

void TstSdWindow::listingOfManyCheckpointsIsQuick() {
  // 20 files whose headers are as long as SD 1.5's (1131 tensors, ~100 kB of JSON): the listing
  // reads headers only, so its cost does not depend on the weights' size. Warm page cache.
  QTemporaryDir dir;
  std::map<std::string, at::Tensor> w;
  w["model.diffusion_model.input_blocks.0.0.weight"] = at::zeros({8, 4, 3, 3}).to(at::kHalf);
  w["cond_stage_model.transformer.text_model.final_layer_norm.weight"] = at::ones({8}).to(at::kHalf);
  for (int i = 0; w.size() < 1131; ++i)
    w["model.diffusion_model.output_blocks." + std::to_string(i) + ".1.transformer_blocks.0.attn1.to_q.weight"] =
        at::zeros({2, 2}).to(at::kHalf);
  for (int i = 0; i < 20; ++i)
    QVERIFY(ns::writeSafetensors(QDir(dir.path()).filePath(QString("sd_%1.safetensors").arg(i, 2, 10, QChar('0'))).toStdString(), w).ok());
  QElapsedTimer t;
  t.start();
  const QList<ns::ui::ModelListEntry> entries = ns::ui::listModelFolder(dir.path());
  const double ms = t.nsecsElapsed() / 1e6;
  qInfo("model listing: 20 files x 1131 tensors in %.1f ms (%.2f ms per file)", ms, ms / 20);
  QCOMPARE(entries.size(), 20);
  for (const auto& e : entries) QVERIFY2(e.loadable() && e.label.contains("SD 1.x, F16"), qPrintable(e.label));
  QVERIFY2(ms / 20 < 100, qPrintable(QString("%1 ms per file").arg(ms / 20)));
}

void TstSdWindow::cleanupTestCase() {
  for (const char* v : {"NS_MODEL_DIR", "NS_CLIP_TOKENIZER_DIR", "NS_SD_UNET_HEADS", "NS_SD_TEXT_HEADS"}) qunsetenv(v);
}

NS_REGISTER_TEST(TstSdWindow, initTestCase, sizesFollowTheModel, checkpointListedDroppedAndRendered, loadStopsBetweenParts,
                 listingOfManyCheckpointsIsQuick, cleanupTestCase)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_sd_window.moc"
#endif
