// Tests the typed window jobs of ui/jobs/engine_jobs.h (issue 18 item 1): a render's typed result
// carries the noise it started from, keyed to the project as rendered (RenderedNoise), and the
// noise inspector shows exactly that field (the same numbers a fresh computation gives, without
// computing it again) only while the project is unchanged; the edit of a single field makes it
// compute the noise again.
#include "tests/support/ns_test.h"

#include <QSignalSpy>

#include <cmath>
#include <optional>

#include "core/model/builtin_model.h"
#include "core/model/model_bundle.h"
#include "core/plan/project.h"
#include "ui/jobs/engine_jobs.h"
#include "ui/jobs/job_controller.h"
#include "ui/jobs/job_results.h"

using ns::ui::JobController;
using ns::ui::JobKind;
using ns::ui::ModelNeed;
using ns::ui::NoiseFieldOutput;
using ns::ui::RenderedNoise;
using ns::ui::RenderOutput;

namespace {

ns::Project smallProject() {
  ns::Project p;
  p.prompt = "a red ball on grass";
  p.frames = 3;
  p.render.steps = 2;
  p.render.noiseRatio = 0.7;
  p.noise.kind = ns::NoiseKind::Warped;  // follows the sketch's flow: the costly kind to recompute
  p.seed = 11;
  return p;
}

// Noise frames with distinct values, for the pure RenderedNoise checks.
RenderedNoise rampNoise(const ns::Project& p, int firstFrame, int count) {
  RenderedNoise r;
  r.noise.kind = ns::FrameKind::Noise;
  r.noise.count = count, r.noise.channels = 2, r.noise.height = 3, r.noise.width = 4;
  r.noise.data.resize(size_t(count) * 24);
  for (size_t i = 0; i < r.noise.data.size(); ++i) r.noise.data[i] = float(i);
  r.firstFrame = firstFrame;
  r.project = ns::ui::renderedNoiseKey(p);
  return r;
}

// Runs a typed job on `jc` and returns what its handler received (nullopt: it failed).
template <class T>
std::optional<T> runTyped(JobController& jc, JobKind kind, ns::ui::TypedJobFn<T> job) {
  std::optional<T> got;
  QSignalSpy failed(&jc, &JobController::failed);
  QSignalSpy done(&jc, &JobController::resultReady);
  jc.submit<T>(kind, std::move(job), [&got](T&& out) { got = std::move(out); });
  if (!QTest::qWaitFor([&] { return done.count() + failed.count() > 0; }, 120000)) return std::nullopt;
  if (!failed.isEmpty()) qWarning("job failed: %s", qPrintable(failed.at(0).at(1).toString()));
  return got;
}

}  // namespace

class TstTypedJobs : public QObject {
  Q_OBJECT
 private slots:
  void renderedNoiseCoversOnlyItsProjectAndFrames();
  void inspectorReusesTheRendersNoise();
};

void TstTypedJobs::renderedNoiseCoversOnlyItsProjectAndFrames() {
  const ns::Project p = smallProject();
  const RenderedNoise r = rampNoise(p, 1, 2);  // project frames 1 and 2
  QVERIFY(!r.covers(p, 0));
  QVERIFY(r.covers(p, 1));
  QVERIFY(r.covers(p, 2));
  QVERIFY(!r.covers(p, 3));
  // Any edit of the project (here the seed, or where it lives) ends the reuse.
  ns::Project reseeded = p;
  reseeded.seed = 12;
  QVERIFY(!r.covers(reseeded, 1));
  ns::Project moved = p;
  moved.filePath = "/tmp/elsewhere/plan.nsproj";
  QVERIFY(!r.covers(moved, 1));
  QVERIFY(!RenderedNoise{}.covers(p, 0));  // nothing rendered yet
  // frameAt gives that project frame's slice, values untouched.
  const ns::FrameBuffer f2 = r.frameAt(2);
  QCOMPARE(f2.kind, ns::FrameKind::Noise);
  QCOMPARE(f2.count, 1);
  QCOMPARE(f2.channels, 2);
  QCOMPARE(int(f2.data.size()), 24);
  QCOMPARE(f2.data.front(), 24.f);  // the second stored frame
  QCOMPARE(f2.data.back(), 47.f);
}

void TstTypedJobs::inspectorReusesTheRendersNoise() {
  const std::string dir = ns::findBuiltinModelDir();
  if (dir.empty()) QSKIP("built-in model not found");
  JobController jc;
  QSignalSpy loaded(&jc, &JobController::modelLoadedChanged);
  jc.loadModel([dir](ns::JobContext&) { return ns::loadBuiltinModel(dir); });
  QVERIFY(loaded.wait(60000));

  const ns::Project p = smallProject();
  auto render = runTyped<RenderOutput>(jc, JobKind::Render, ns::ui::renderJob(p));
  QVERIFY(render);
  QCOMPARE(render->frames.count, 3);
  QCOMPARE(render->firstFrame, 0);
  const RenderedNoise& kept = render->noise;
  QCOMPARE(kept.noise.kind, ns::FrameKind::Noise);
  QCOMPARE(kept.noise.count, 3);
  QVERIFY(kept.covers(p, 2));

  auto cache = ns::ui::makeInversionCache();
  for (int frame : {0, 2}) {
    auto reused = runTyped<NoiseFieldOutput>(jc, JobKind::NoiseInspect, ns::ui::noiseInspectJob(p, frame, cache, &kept));
    auto fresh = runTyped<NoiseFieldOutput>(jc, JobKind::NoiseInspect, ns::ui::noiseInspectJob(p, frame, cache));
    QVERIFY(reused && fresh);
    QVERIFY(reused->fromRender);
    QVERIFY(!fresh->fromRender);
    QVERIFY2(reused->summary.find("the last render's") != std::string::npos, reused->summary.c_str());
    // The render's noise is the field the inspector would compute: the same numbers, bit for bit.
    QCOMPARE(reused->noise.count, 1);
    QCOMPARE(reused->noise.channels, fresh->noise.channels);
    QCOMPARE(reused->noise.height, fresh->noise.height);
    QVERIFY2(reused->noise.data == fresh->noise.data, qPrintable(QString("frame %1 differs").arg(frame)));
    QCOMPARE(reused->stats.mean, fresh->stats.mean);
    QCOMPARE(reused->stats.std, fresh->stats.std);
    QCOMPARE(reused->stats.lag1(), fresh->stats.lag1());
    QVERIFY(std::abs(reused->stats.std - 1.0) < 0.3);  // a Gaussian field, not zeros
  }
  // After an edit the kept noise is not this project's any more: it is computed again, and differs.
  ns::Project edited = p;
  edited.seed = p.seed + 1;
  auto after = runTyped<NoiseFieldOutput>(jc, JobKind::NoiseInspect, ns::ui::noiseInspectJob(edited, 0, cache, &kept));
  QVERIFY(after);
  QVERIFY(!after->fromRender);
  QVERIFY(after->noise.data != kept.frameAt(0).data);
}

NS_REGISTER_TEST(TstTypedJobs, renderedNoiseCoversOnlyItsProjectAndFrames, inspectorReusesTheRendersNoise)
#ifdef NS_HAVE_QTEST
#include "tst_typed_jobs.moc"
#endif
