#include "ui/plan/object_sprites.h"

#include <QFileInfo>
#include <QImageReader>
#include <QPointer>

#include <QDateTime>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ui/jobs/job_controller.h"
#include "ui/plan/object_sprite_job.h"

namespace ns::ui {

namespace {
// One RGBA frame (straight alpha, [0,1]) as a picture.
QImage spriteImage(const FrameBuffer& f) {
  if (f.empty() || f.channels != 4) return {};
  QImage img(f.width, f.height, QImage::Format_RGBA8888);
  const size_t plane = size_t(f.width) * f.height;
  for (int y = 0; y < f.height; ++y) {
    uchar* row = img.scanLine(y);
    for (int x = 0; x < f.width; ++x)
      for (int c = 0; c < 4; ++c) {
        const float v = f.data[c * plane + size_t(y) * f.width + x];
        row[4 * x + c] = uchar(std::lround(std::clamp(v, 0.f, 1.f) * 255.f));
      }
  }
  return img;
}
}  // namespace

ObjectSprites::ObjectSprites(JobController* jobs, QObject* parent) : QObject(parent), m_jobs(jobs) {
  m_settle.setSingleShot(true);
  m_settle.setInterval(kSettleMs);
  connect(&m_settle, &QTimer::timeout, this, &ObjectSprites::askForMissing);
  m_painted.setMaxCost(64);  // sprites are small (the model's native size); keep many re-rolls
  m_files.setMaxCost(16);
  connect(m_jobs, &JobController::modelLoadedChanged, this, [this] {
    ++m_model;
    m_failed.clear();
    emit spritesArrived();  // the new model paints its own
    m_settle.start();
  });
  connect(m_jobs, &JobController::resultReady, this, [this](RequestId id) {
    // Keys the job did not hand back (it should hand back every one) are not asked for again.
    for (const QString& key : m_requests.take(id))
      if (m_asked.remove(key) && !m_painted.contains(key)) m_failed.insert(key);
  });
  connect(m_jobs, &JobController::failed, this, [this](RequestId id) {
    for (const QString& key : m_requests.take(id)) {
      m_asked.remove(key);
      m_failed.insert(key);
    }
  });
  connect(m_jobs, &JobController::cancelled, this, [this](RequestId id) {
    for (const QString& key : m_requests.take(id)) m_asked.remove(key);  // asked again at the next sync
  });
}

QImage ObjectSprites::imageFile(const QString& path) {
  const QFileInfo info(path);
  const QString key = path + QLatin1Char('|') + QString::number(info.lastModified().toMSecsSinceEpoch());
  if (const QImage* hit = m_files.object(key)) return *hit;
  QImageReader reader(path);
  reader.setAutoTransform(true);
  // The canvas needs no more than a screenful: a huge picture is read scaled down.
  if (const QSize s = reader.size(); s.isValid() && std::max(s.width(), s.height()) > 1024)
    reader.setScaledSize(s.scaled(1024, 1024, Qt::KeepAspectRatio));
  const QImage img = reader.read();
  if (!img.isNull()) m_files.insert(key, new QImage(img));
  return img;
}

QString ObjectSprites::paintedKey(const Project& project, const ProjectObject& object) const {
  return QString::number(m_model) + QLatin1Char('|') + QString::fromStdString(objectSpriteKey(project, object));
}

QHash<QString, QImage> ObjectSprites::spritesFor(const Project& project) {
  QHash<QString, QImage> out;
  bool missing = false;
  for (const ProjectObject& o : project.objects) {
    const QString id = QString::fromStdString(o.id);
    if (o.source.kind == SourceKind::ImageWithAlpha) {
      const QImage img = imageFile(QString::fromStdString(project.resolvePath(o.source.path)));
      if (!img.isNull()) out.insert(id, img);
    } else if (o.source.kind == SourceKind::Generate) {
      if (const QImage* hit = m_painted.object(paintedKey(project, o))) out.insert(id, *hit);
      else missing = true;
    }
  }
  m_wanted = project;
  if (missing) m_settle.start();  // (re)started: asks when the plan has settled
  else m_settle.stop();
  return out;
}

void ObjectSprites::askForMissing() {
  if (!m_jobs->modelLoaded()) return;  // asked again when a model is loaded
  std::vector<std::string> missing;
  QStringList missingKeys;
  for (const ProjectObject& o : m_wanted.objects) {
    if (o.source.kind != SourceKind::Generate) continue;
    const QString key = paintedKey(m_wanted, o);
    if (m_painted.contains(key) || m_asked.contains(key) || m_failed.contains(key) || missingKeys.contains(key)) continue;
    missing.push_back(o.id);
    missingKeys << key;
  }
  if (missing.empty()) return;
  QPointer<ObjectSprites> self(this);
  const quint64 model = m_model;
  const Project snapshot = m_wanted;
  const RequestId id = m_jobs->submit<ObjectSpritesOutput>(
      JobKind::Custom, objectSpritesJob(snapshot, missing), [self, model, snapshot](ObjectSpritesOutput&& r) {
        if (!self || model != self->m_model) return;  // a newer model paints its own
        for (const auto& [objectId, frames] : r.sprites) {
          const ProjectObject* o = snapshot.findObject(objectId);
          const QImage img = spriteImage(frames);
          if (o && !img.isNull()) self->m_painted.insert(self->paintedKey(snapshot, *o), new QImage(img));
        }
        emit self->spritesArrived();
      });
  m_requests.insert(id, missingKeys);
  for (const QString& k : missingKeys) m_asked.insert(k);
}

}  // namespace ns::ui
