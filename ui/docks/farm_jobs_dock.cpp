#include "ui/docks/farm_jobs_dock.h"

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "ui/farm/farm_cli_call.h"

namespace ns::ui {

namespace {
const char* kListKey = "farm/jobs";
constexpr int kOutRole = Qt::UserRole;
constexpr int kChunkRole = Qt::UserRole + 1;  // chunk index on chunk rows, -1 on job rows

QString chunkDetail(const FarmChunkView& c) {
  // A batch task that renders no frames (search, eval, invert) has the range [0, 0).
  const QString frames = c.end > c.begin ? QObject::tr("%1/%2 frames").arg(c.framesDone).arg(c.end - c.begin) : QString();
  auto join = [](const QString& a, const QString& b) { return a.isEmpty() ? b : b.isEmpty() ? a : a + QStringLiteral(", ") + b; };
  if (c.state == QLatin1String("running")) return join(c.progress, frames);
  if (c.state == QLatin1String("done")) return frames;
  return join(frames, c.slurm.trimmed());
}

QColor stateColour(const QString& state) {
  if (state == QLatin1String("failed")) return QColor(0xb0, 0x00, 0x20);
  if (state == QLatin1String("done")) return QColor(0x1b, 0x7f, 0x3b);
  if (state == QLatin1String("running") || state == QLatin1String("merging")) return QColor(0x1f, 0x5f, 0xbf);
  return {};
}
}  // namespace

struct FarmJobsDock::Job {
  QString out;
  bool haveView = false;
  FarmStatusView view;
  QString pollError, reportedError;
  QPointer<FarmCliCall> poll;    // at most one status process per job
  QPointer<FarmCliCall> action;  // a resume or cancel under way
  QTreeWidgetItem* item = nullptr;
};

FarmJobsDock::FarmJobsDock(QWidget* parent) : QDockWidget(tr("Farm jobs"), parent) {
  setObjectName(QStringLiteral("farmJobsDock"));
  auto* body = new QWidget(this);
  auto* column = new QVBoxLayout(body);
  m_tree = new QTreeWidget(body);
  m_tree->setColumnCount(3);
  m_tree->setHeaderLabels({tr("Job"), tr("State"), tr("Detail")});
  m_tree->setToolTip(tr("Farm jobs and their chunks; select one to resume, cancel or open it"));
  m_tree->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
  m_log = new QPlainTextEdit(body);
  m_log->setReadOnly(true);
  m_log->setPlaceholderText(tr("The log of a failed chunk shows here"));
  m_log->setLineWrapMode(QPlainTextEdit::NoWrap);
  m_log->setToolTip(tr("The log tail of the selected failed chunk"));
  auto* split = new QSplitter(Qt::Vertical, body);
  split->addWidget(m_tree);
  split->addWidget(m_log);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 1);
  m_resume = new QPushButton(tr("Resume"), body);
  m_resume->setToolTip(tr("Resubmit the chunks whose frames are missing, and the merge (farm resume)"));
  m_cancel = new QPushButton(tr("Cancel"), body);
  m_cancel->setToolTip(tr("Cancel the job's tasks and remove its partial output (farm cancel)"));
  m_open = new QPushButton(tr("Open result"), body);
  m_open->setToolTip(tr("Show the finished job's merged video in the window"));
  m_forget = new QPushButton(tr("Forget"), body);
  m_forget->setToolTip(tr("Remove from this list; the folder stays"));
  m_follow = new QPushButton(tr("Follow…"), body);
  m_follow->setToolTip(tr("Follow a job submitted elsewhere (noisestudio-cli farm submit … -o OUT): choose OUT"));
  auto* buttons = new QHBoxLayout;
  for (QPushButton* b : {m_resume, m_cancel, m_open, m_forget, m_follow}) buttons->addWidget(b);
  column->addWidget(split, 1);
  column->addLayout(buttons);
  setWidget(body);

  connect(m_tree, &QTreeWidget::currentItemChanged, this, &FarmJobsDock::updateSelection);
  connect(m_resume, &QPushButton::clicked, this, &FarmJobsDock::resumeSelected);
  connect(m_cancel, &QPushButton::clicked, this, &FarmJobsDock::cancelSelected);
  connect(m_open, &QPushButton::clicked, this, &FarmJobsDock::openSelected);
  connect(m_forget, &QPushButton::clicked, this, [this] { removeJob(selectedJob()); });
  chooseJobFolder = [this] { return QFileDialog::getExistingDirectory(this, tr("Farm job folder (OUT)")); };
  connect(m_follow, &QPushButton::clicked, this, [this] {
    const QString out = chooseJobFolder();
    if (!out.isEmpty()) addJob(out);  // a folder that is no job says so in its row and the banner
  });

  m_timer.setInterval(3000);
  connect(&m_timer, &QTimer::timeout, this, [this] {
    // Finished jobs change only through our own buttons (which poll), so the timer skips them.
    for (auto& j : m_jobs)
      if (!(j->haveView && j->view.isFinal())) poll(*j);
  });
  m_timer.start();

  for (const QString& out : QSettings().value(QString::fromLatin1(kListKey)).toStringList()) {
    if (out.isEmpty() || find(out)) continue;
    auto job = std::make_unique<Job>();
    job->out = out;
    job->item = new QTreeWidgetItem(m_tree);
    m_jobs.push_back(std::move(job));
    render(*m_jobs.back());
  }
  if (!m_jobs.empty()) QTimer::singleShot(0, this, &FarmJobsDock::pollNow);
  updateSelection();
}

FarmJobsDock::~FarmJobsDock() = default;

FarmJobsDock::Job* FarmJobsDock::find(const QString& out) const {
  for (const auto& j : m_jobs)
    if (j->out == out) return j.get();
  return nullptr;
}

void FarmJobsDock::addJob(const QString& outDir) {
  const QString out = QDir::cleanPath(QFileInfo(outDir).absoluteFilePath());
  if (!find(out)) {
    auto job = std::make_unique<Job>();
    job->out = out;
    job->item = new QTreeWidgetItem(m_tree);
    m_jobs.push_back(std::move(job));
    saveList();
    render(*m_jobs.back());
  }
  show();  // the window hides an empty dock
  raise();
  selectJob(out);
  poll(*find(out));
}

void FarmJobsDock::removeJob(const QString& outDir) {
  for (auto it = m_jobs.begin(); it != m_jobs.end(); ++it) {
    if ((*it)->out != outDir) continue;
    delete (*it)->item;
    // Calls under way die with the dock's children only; drop their answers now.
    if ((*it)->poll) (*it)->poll->disconnect(this);
    m_jobs.erase(it);
    saveList();
    updateSelection();
    return;
  }
}

QStringList FarmJobsDock::jobs() const {
  QStringList l;
  for (const auto& j : m_jobs) l << j->out;
  return l;
}

const FarmStatusView* FarmJobsDock::statusOf(const QString& out) const {
  const Job* j = find(out);
  return j && j->haveView ? &j->view : nullptr;
}

QString FarmJobsDock::pollErrorOf(const QString& out) const {
  const Job* j = find(out);
  return j ? j->pollError : QString();
}

int FarmJobsDock::pollsInFlight() const {
  int n = 0;
  for (const auto& j : m_jobs) n += j->poll ? 1 : 0;
  return n;
}

void FarmJobsDock::setPollInterval(int ms) { m_timer.setInterval(ms); }

void FarmJobsDock::saveList() const { QSettings().setValue(QString::fromLatin1(kListKey), jobs()); }

void FarmJobsDock::pollNow() {
  for (auto& j : m_jobs) poll(*j);
}

void FarmJobsDock::poll(Job& job) {
  if (job.poll) return;  // the previous answer is still coming
  auto* call = new FarmCliCall({QStringLiteral("--json"), QStringLiteral("farm"), QStringLiteral("status"), job.out},
                               FarmCliEffect::ReadOnly, this);
  job.poll = call;
  const QString out = job.out;
  connect(call, &FarmCliCall::finished, this, [this, out](const FarmCliResult& r) { onPolled(out, r); });
  call->start();
}

void FarmJobsDock::onPolled(const QString& out, const FarmCliResult& r) {
  Job* job = find(out);
  if (!job) return;
  job->poll = nullptr;
  if (r.ok) {
    applyStatus(out, r.json);
  } else {
    showPollResult(*job, nullptr, r.error);
  }
  emit polled(out);
}

bool FarmJobsDock::applyStatus(const QString& out, const QJsonObject& json) {
  Job* job = find(out);
  if (!job) return false;
  FarmStatusView v;
  QString error;
  const bool ok = parseFarmStatus(json, &v, &error);
  showPollResult(*job, ok ? &v : nullptr, error);
  return ok;
}

void FarmJobsDock::showPollResult(Job& job, const FarmStatusView* view, const QString& error) {
  if (view) {
    job.view = *view;
    job.haveView = true;
    job.pollError.clear();
    job.reportedError.clear();
  } else {
    job.pollError = error;
    // Every few seconds the same failure would bury the banner: say each distinct one once.
    if (error != job.reportedError) {
      job.reportedError = error;
      emit failed(tr("Farm job %1: %2").arg(QDir::toNativeSeparators(job.out), error));
    }
  }
  render(job);
  if (selectedJob() == job.out) updateSelection();
}

void FarmJobsDock::render(Job& job) {
  QTreeWidgetItem* it = job.item;
  it->setText(0, QFileInfo(job.out).fileName());
  it->setToolTip(0, QDir::toNativeSeparators(job.out));
  it->setData(0, kOutRole, job.out);
  it->setData(0, kChunkRole, -1);
  if (!job.pollError.isEmpty()) {
    it->setText(1, job.haveView ? job.view.state : tr("unknown"));
    it->setText(2, job.pollError);
    it->setForeground(2, stateColour(QStringLiteral("failed")));
  } else if (!job.haveView) {
    it->setText(1, tr("asking…"));
    it->setText(2, QString());
  } else {
    it->setText(1, job.view.state);
    it->setText(2, job.view.batch
                       ? tr("%1/%2 tasks, gather %3").arg(job.view.tasksDone).arg(job.view.tasks).arg(job.view.merge)
                       : tr("%1/%2 frames, merge %3").arg(job.view.framesDone).arg(job.view.frames).arg(job.view.merge));
    it->setForeground(2, QBrush());
  }
  it->setForeground(1, stateColour(it->text(1)));
  if (!job.haveView) return;
  // One row per chunk, reused between polls so selection and expansion stay put.
  while (it->childCount() > job.view.chunks.size()) delete it->takeChild(it->childCount() - 1);
  for (int i = 0; i < job.view.chunks.size(); ++i) {
    const FarmChunkView& c = job.view.chunks[i];
    QTreeWidgetItem* row = i < it->childCount() ? it->child(i) : new QTreeWidgetItem(it);
    row->setText(0, job.view.batch ? tr("task %1 (%2)").arg(c.index).arg(c.what)
                                   : tr("chunk %1 (frames %2:%3)").arg(c.index).arg(c.begin).arg(c.end));
    row->setText(1, c.state);
    row->setForeground(1, stateColour(c.state));
    row->setText(2, chunkDetail(c));
    row->setToolTip(2, c.task.isEmpty() ? QString() : tr("Slurm task %1").arg(c.task));
    row->setData(0, kOutRole, job.out);
    row->setData(0, kChunkRole, c.index);
  }
  if (job.view.failedChunks() > 0) it->setExpanded(true);
}

void FarmJobsDock::selectJob(const QString& out) {
  if (Job* j = find(out)) m_tree->setCurrentItem(j->item);
}

QString FarmJobsDock::selectedJob() const {
  const QTreeWidgetItem* it = m_tree->currentItem();
  return it ? it->data(0, kOutRole).toString() : QString();
}

QString FarmJobsDock::resultPath(const QString& out) const {
  const Job* j = find(out);
  // A batch has a result per job (docs/farm.md); the dock opens single-project renders only.
  if (!j || !j->haveView || !j->view.video || j->view.batch) return {};
  // The merge writes OUT/<name>.mp4 with the name the submit recorded.
  QFile f(QDir(out).filePath(QStringLiteral("farm/settings.json")));
  if (!f.open(QIODevice::ReadOnly)) return {};
  const QString name = QJsonDocument::fromJson(f.read(1 << 20)).object().value(QStringLiteral("name")).toString();
  if (name.isEmpty() || name.contains(QLatin1Char('/'))) return {};
  const QString path = QDir(out).filePath(name + QStringLiteral(".mp4"));
  return QFileInfo(path).isFile() ? path : QString();
}

void FarmJobsDock::updateSelection() {
  const QString out = selectedJob();
  const Job* j = find(out);
  const bool known = j && j->haveView;
  const QString state = known ? j->view.state : QString();
  const bool busy = j && j->action;
  m_resume->setEnabled(known && !busy && (state == QLatin1String("failed") || state == QLatin1String("cancelled")));
  m_cancel->setEnabled(known && !busy &&
                       (state == QLatin1String("pending") || state == QLatin1String("running") ||
                        state == QLatin1String("merging") || state == QLatin1String("failed")));
  m_open->setEnabled(known && !resultPath(out).isEmpty());
  m_forget->setEnabled(j != nullptr && !busy);
  // The log pane: the selected failed chunk's tail, or for a job row every failed chunk's.
  QString text;
  if (known) {
    const int chunk = m_tree->currentItem()->data(0, kChunkRole).toInt();
    for (const FarmChunkView& c : j->view.chunks) {
      if (c.logTail.isEmpty() || (chunk >= 0 && c.index != chunk)) continue;
      text += j->view.batch ? tr("task %1 (%2, %3):\n").arg(c.index).arg(c.what, c.slurm.trimmed())
                            : tr("chunk %1 (frames %2:%3, %4):\n").arg(c.index).arg(c.begin).arg(c.end).arg(c.slurm.trimmed());
      text += c.logTail;
      if (!text.endsWith(QLatin1Char('\n'))) text += QLatin1Char('\n');
    }
    if (chunk < 0 && !j->view.mergeLogTail.isEmpty()) text += tr("merge:\n") + j->view.mergeLogTail;
  }
  if (m_log->toPlainText() != text) m_log->setPlainText(text);
}

void FarmJobsDock::runAction(const QString& verb) {
  Job* job = find(selectedJob());
  if (!job || job->action) return;
  auto* call = new FarmCliCall({QStringLiteral("--json"), QStringLiteral("farm"), verb, job->out},
                               FarmCliEffect::ChangesJob, this);
  job->action = call;
  const QString out = job->out;
  connect(call, &FarmCliCall::finished, this, [this, out, verb](const FarmCliResult& r) {
    Job* j = find(out);
    if (!j) return;
    j->action = nullptr;
    if (!r.ok) emit failed(tr("farm %1 %2: %3").arg(verb, QDir::toNativeSeparators(out), r.error));
    updateSelection();
    poll(*j);
  });
  call->start();
  updateSelection();
}

void FarmJobsDock::resumeSelected() { runAction(QStringLiteral("resume")); }

void FarmJobsDock::cancelSelected() { runAction(QStringLiteral("cancel")); }

void FarmJobsDock::openSelected() {
  const QString path = resultPath(selectedJob());
  if (!path.isEmpty()) emit openResultRequested(path);
}

}  // namespace ns::ui
