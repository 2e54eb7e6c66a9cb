#pragma once
// ObjectSprites: the pictures the canvas draws inside the objects' boxes (issue 19 item 1: the
// model-planned objects are shown in the window as they are made).
//   - an object from an image file (ImageWithAlpha): the picture itself, its alpha as its shape;
//   - a model-painted object (Generate): its sprite as the model paints it. Missing ones are asked
//     for with one job (objectSpritesJob) while a model is loaded, once the plan has stayed the
//     same for kSettleMs (typing an object's prompt asks for the last word's sprite, not one per
//     key), and show when the job ends. They are
//     kept by what decides their pixels (objectSpriteKey and the model), so undoing a re-roll
//     shows the earlier sprite again at once, without the model;
//   - flat shapes and cut-outs: none (the box outline, as before).
// A sprite whose painting failed (the banner says why) is not asked for again until something it
// depends on changes. UI thread only.

#include <QCache>
#include <QHash>
#include <QImage>
#include <QObject>
#include <QSet>
#include <QString>
#include <QTimer>

#include "core/plan/project.h"
#include "ui/jobs/job_types.h"

namespace ns::ui {

class JobController;

class ObjectSprites : public QObject {
  Q_OBJECT
 public:
  explicit ObjectSprites(JobController* jobs, QObject* parent = nullptr);

  // The sprite of each object of `project` that has one now, by object id; asks the model for
  // the model-painted ones it does not have yet (after kSettleMs without another call).
  QHash<QString, QImage> spritesFor(const Project& project);
  int paintingJobs() const { return int(m_requests.size()); }

  static constexpr int kSettleMs = 250;

 signals:
  void spritesArrived();  // new sprites (or a new model): the window asks spritesFor() again

 private:
  QImage imageFile(const QString& path);
  QString paintedKey(const Project& project, const ProjectObject& object) const;
  void askForMissing();  // submits the job for m_wanted's missing sprites

  JobController* m_jobs;
  QCache<QString, QImage> m_painted;  // model-painted, by model generation + objectSpriteKey
  QCache<QString, QImage> m_files;    // image files, by path and modification time
  QHash<RequestId, QStringList> m_requests;  // jobs in flight and the keys they paint
  QSet<QString> m_asked, m_failed;
  quint64 m_model = 0;  // counts model loads: a new model paints other sprites
  Project m_wanted;      // the plan of the latest spritesFor()
  QTimer m_settle;
};

}  // namespace ns::ui
