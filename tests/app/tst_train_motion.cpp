// `noisestudio-train --stage motion` (issue 16 item 2) on a tiny CPU run against the shipped image
// model: a run cut in two (--steps-this-run, then --resume) ends with exactly the weights of an
// uninterrupted one (motion.safetensors compared tensor by tensor, bitwise); the export is a
// built-in video model that loads through the CLI's door and records its training in model.json;
// a mismatched resume is refused naming the checkpoint.
#include "tests/support/ns_test.h"

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/model/builtin_model.h"
#include "core/model/builtin_video_denoiser.h"
#include "core/model/builtin_video_model.h"
#include "core/model/safetensors.h"

namespace {

namespace fs = std::filesystem;

// Each function runs the trainer two to four times (tens of seconds each on an idle 2-core machine,
// minutes under a loaded one): raise Qt Test's 5-minute per-function watchdog unless the caller set
// QTEST_FUNCTION_TIMEOUT, as slow_training.cpp does. Runs before main().
[[maybe_unused]] const bool kWatchdogRaised = [] { return ::setenv("QTEST_FUNCTION_TIMEOUT", "1800000", 0) == 0; }();

struct Run {
  int code = -1;
  std::string err;
};

#ifdef NS_TRAIN_PATH
Run train(const QStringList& args) {
  QProcess p;
  p.start(QString::fromUtf8(NS_TRAIN_PATH), args);
  Run r;
  if (!p.waitForFinished(600000)) {
    p.kill();
    p.waitForFinished();
    r.err = "timed out";
    return r;
  }
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.err = p.readAllStandardError().toStdString();
  return r;
}
#endif

// A model folder holding a copy of the shipped image model (the motion stage exports into it).
bool copyImageModel(const std::string& to) {
  const std::string from = ns::findBuiltinModelDir();
  if (from.empty()) return false;
  std::error_code ec;
  fs::create_directories(to, ec);
  for (const char* f : {"model.json", "weights.safetensors"})
    fs::copy_file(fs::path(from) / f, fs::path(to) / f, fs::copy_options::overwrite_existing, ec);
  return !ec;
}

QStringList tinyArgs(const std::string& out, const std::string& work) {
  return {"--stage", "motion", "--out", QString::fromStdString(out), "--work", QString::fromStdString(work),
          "--steps-motion", "4", "--batch-motion", "1", "--frames-min", "2", "--frames-max", "3",
          "--held-out-clips", "2", "--threads", "2", "--seed", "5", "--progress-s", "1000"};
}

}  // namespace

class TstTrainMotion : public QObject {
  Q_OBJECT
 private slots:
  void resumedRunEqualsUninterruptedRun() {
#ifndef NS_TRAIN_PATH
    QSKIP("noisestudio-train is not built");
#else
    QTemporaryDir tmp;
    const std::string root = tmp.path().toStdString();
    const std::string outA = root + "/a", outB = root + "/b";
    QVERIFY(copyImageModel(outA));
    QVERIFY(copyImageModel(outB));

    Run whole = train(tinyArgs(outA, root + "/work-a"));
    QVERIFY2(whole.code == 0, whole.err.c_str());
    Run first = train(tinyArgs(outB, root + "/work-b") << "--steps-this-run" << "2");
    QVERIFY2(first.code == 0, first.err.c_str());
    auto half = ns::readSafetensors(outB + "/motion.safetensors");
    QVERIFY(half.ok());
    Run rest = train(tinyArgs(outB, root + "/work-b") << "--resume");
    QVERIFY2(rest.code == 0, rest.err.c_str());
    QVERIFY2(rest.err.find("resuming at step 2/4") != std::string::npos, rest.err.c_str());

    auto a = ns::readSafetensors(outA + "/motion.safetensors");
    auto b = ns::readSafetensors(outB + "/motion.safetensors");
    QVERIFY(a.ok() && b.ok());
    QCOMPARE(a->tensors.size(), b->tensors.size());
    int differentFromHalf = 0;
    for (const auto& [name, t] : a->tensors) {
      QVERIFY2(b->tensors.count(name), name.c_str());
      QVERIFY2(at::equal(t, b->tensors.at(name)), name.c_str());
      differentFromHalf += at::equal(t, half->tensors.at(name)) ? 0 : 1;
    }
    QVERIFY(differentFromHalf > 0);  // the second half did train
    QCOMPARE(a->metadata.at("format"), std::string("noisestudio-motion"));

    // The export: a "video" section with the training record, and a loadable video model.
    std::ifstream in(outB + "/model.json");
    const nlohmann::json j = nlohmann::json::parse(in);
    QCOMPARE(j["video"]["motion_file"].get<std::string>(), std::string("motion.safetensors"));
    QCOMPARE(j["video"]["training"]["step"].get<int>(), 4);
    QCOMPARE(j["video"]["training"]["resumed_from_step"].get<int>(), 2);
    QVERIFY(j["video"]["training"].contains("held_out_loss_image"));
    QCOMPARE(j["id"].get<std::string>(), std::string("builtin-shapes-v1"));  // the image model's record stays
    QCOMPARE(ns::builtinMotionFileOf(outB), outB + "/motion.safetensors");
    auto bundle = ns::loadBuiltinVideoModel(outB, outB + "/motion.safetensors");
    QVERIFY2(bundle.ok(), bundle.ok() ? "" : bundle.error().message.c_str());
    QVERIFY(bundle->denoiser->info().isVideo);

    // A resume with other settings is refused, naming the checkpoint.
    QStringList other = tinyArgs(outB, root + "/work-b");
    other[other.indexOf("--batch-motion") + 1] = "2";  // the same options but a batch of 2
    Run wrong = train(other << "--resume");
    QVERIFY(wrong.code != 0);
    QVERIFY2(wrong.err.find("motion.ckpt") != std::string::npos, wrong.err.c_str());
#endif
  }

  void refusesAFolderWithoutAnImageModel() {
#ifndef NS_TRAIN_PATH
    QSKIP("noisestudio-train is not built");
#else
    QTemporaryDir tmp;
    const std::string root = tmp.path().toStdString();
    Run r = train(tinyArgs(root + "/empty", root + "/work"));
    QVERIFY(r.code != 0);
    QVERIFY2(r.err.find("--stage motion trains on the built-in image model") != std::string::npos, r.err.c_str());
    QVERIFY2(r.err.find(root + "/empty") != std::string::npos, r.err.c_str());
#endif
  }
};

NS_REGISTER_TEST(TstTrainMotion, resumedRunEqualsUninterruptedRun, refusesAFolderWithoutAnImageModel)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_train_motion.moc"
#endif
