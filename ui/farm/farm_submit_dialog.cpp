#include "ui/farm/farm_submit_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace ns::ui {

namespace {
// A line edit with a "…" button that picks a folder (or a file when `file`).
QWidget* withBrowse(QLineEdit* edit, bool file, QWidget* parent) {
  auto* row = new QWidget(parent);
  auto* h = new QHBoxLayout(row);
  h->setContentsMargins(0, 0, 0, 0);
  auto* browse = new QToolButton(row);
  browse->setText(QStringLiteral("…"));
  browse->setToolTip(file ? QObject::tr("Choose a file") : QObject::tr("Choose a folder"));
  h->addWidget(edit, 1);
  h->addWidget(browse);
  QObject::connect(browse, &QToolButton::clicked, row, [edit, file, row] {
    const QString p = file ? QFileDialog::getOpenFileName(row, QObject::tr("Model file"), edit->text())
                           : QFileDialog::getExistingDirectory(row, QObject::tr("Folder"), edit->text());
    if (!p.isEmpty()) edit->setText(p);
  });
  return row;
}
}  // namespace

FarmSubmitDialog::FarmSubmitDialog(const QString& projectPath, bool projectModified, QWidget* parent)
    : QDialog(parent), m_projectPath(projectPath), m_projectModified(projectModified) {
  setObjectName(QStringLiteral("farmSubmitDialog"));
  setWindowTitle(tr("Render on farm"));
  auto* form = new QFormLayout;
  auto* project = new QLabel(projectPath.isEmpty() ? tr("(not saved)") : QDir::toNativeSeparators(projectPath), this);
  project->setTextInteractionFlags(Qt::TextSelectableByMouse);
  form->addRow(tr("Project"), project);
  m_engine = new QComboBox(this);
  m_engine->addItem(QStringLiteral("slurm"));
  m_engine->setToolTip(tr("The batch system that runs the job array"));
  form->addRow(tr("Engine"), m_engine);
  // 0 is reachable on purpose: the check refuses it with a reason instead of a silently clamped box.
  m_chunk = new QSpinBox(this);
  m_chunk->setRange(0, 1000000);
  m_chunk->setToolTip(tr("Frames per array task; each task pays the start-up (model load) once"));
  form->addRow(tr("Chunk (frames per task)"), m_chunk);
  m_partition = new QLineEdit(this);
  m_partition->setPlaceholderText(tr("cluster default"));
  m_partition->setToolTip(tr("Slurm partition (--partition); empty: the cluster's default"));
  form->addRow(tr("Partition"), m_partition);
  m_cpus = new QSpinBox(this);
  m_cpus->setRange(0, 4096);
  m_cpus->setSpecialValueText(tr("default (1 thread)"));
  m_cpus->setToolTip(tr("CPU cores per task (--cpus-per-task); the render uses as many threads"));
  form->addRow(tr("CPUs per task"), m_cpus);
  m_gpus = new QSpinBox(this);
  m_gpus->setRange(0, 64);
  m_gpus->setSpecialValueText(tr("none"));
  m_gpus->setToolTip(tr("GPUs per task (--gpus-per-task)"));
  form->addRow(tr("GPUs per task"), m_gpus);
  m_mem = new QLineEdit(this);
  m_mem->setPlaceholderText(tr("cluster default, e.g. 8G"));
  m_mem->setToolTip(tr("Memory per task (--mem), e.g. 8G"));
  form->addRow(tr("Memory per task"), m_mem);
  m_time = new QLineEdit(this);
  m_time->setPlaceholderText(tr("partition default, e.g. 01:00:00"));
  m_time->setToolTip(tr("Time limit per task (--time), e.g. 01:00:00"));
  form->addRow(tr("Time limit"), m_time);
  m_maxParallel = new QSpinBox(this);
  m_maxParallel->setRange(0, 100000);
  m_maxParallel->setSpecialValueText(tr("no limit"));
  m_maxParallel->setToolTip(tr("At most this many tasks run at once (the array's %N)"));
  form->addRow(tr("Max parallel tasks"), m_maxParallel);
  m_model = new QLineEdit(this);
  m_model->setPlaceholderText(tr("built-in model; else a path every node sees"));
  m_model->setToolTip(tr("The model the tasks load; empty: the built-in model"));
  form->addRow(tr("Model"), withBrowse(m_model, true, this));
  m_outDir = new QLineEdit(this);
  m_outDir->setPlaceholderText(tr("a folder on shared storage"));
  m_outDir->setToolTip(tr("Where frames, logs and the merged video go: a folder every node can write"));
  form->addRow(tr("Output folder"), withBrowse(m_outDir, false, this));

  m_error = new QLabel(this);
  m_error->setObjectName(QStringLiteral("farmSubmitError"));
  m_error->setWordWrap(true);
  m_error->setStyleSheet(QStringLiteral("color: #b00020;"));
  m_error->hide();
  m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Submit"));
  m_buttons->button(QDialogButtonBox::Ok)->setToolTip(tr("Submit the saved project to the farm (noisestudio-cli farm submit)"));
  m_buttons->button(QDialogButtonBox::Cancel)->setToolTip(tr("Close without submitting"));
  connect(m_buttons, &QDialogButtonBox::accepted, this, &FarmSubmitDialog::accept);
  connect(m_buttons, &QDialogButtonBox::rejected, this, &FarmSubmitDialog::reject);

  auto* column = new QVBoxLayout(this);
  column->addLayout(form);
  column->addWidget(m_error);
  column->addWidget(m_buttons);
  setSettings(FarmSubmitSettings::load());
}

FarmSubmitSettings FarmSubmitDialog::settings() const {
  FarmSubmitSettings s;
  s.engine = m_engine->currentText();
  s.chunk = m_chunk->value();
  s.partition = m_partition->text().trimmed();
  s.cpusPerTask = m_cpus->value();
  s.gpusPerTask = m_gpus->value();
  s.mem = m_mem->text().trimmed();
  s.time = m_time->text().trimmed();
  s.maxParallel = m_maxParallel->value();
  s.model = m_model->text().trimmed();
  s.outDir = QDir::cleanPath(m_outDir->text().trimmed());
  if (s.outDir == QLatin1String(".")) s.outDir.clear();  // cleanPath("") gives "."
  return s;
}

void FarmSubmitDialog::setSettings(const FarmSubmitSettings& s) {
  const int engine = m_engine->findText(s.engine);
  m_engine->setCurrentIndex(engine < 0 ? 0 : engine);
  m_chunk->setValue(s.chunk);
  m_partition->setText(s.partition);
  m_cpus->setValue(s.cpusPerTask);
  m_gpus->setValue(s.gpusPerTask);
  m_mem->setText(s.mem);
  m_time->setText(s.time);
  m_maxParallel->setValue(s.maxParallel);
  m_model->setText(s.model);
  m_outDir->setText(s.outDir);
}

QString FarmSubmitDialog::errorText() const { return m_error->isHidden() ? QString() : m_error->text(); }

QPushButton* FarmSubmitDialog::submitButton() const { return m_buttons->button(QDialogButtonBox::Ok); }

void FarmSubmitDialog::accept() {
  const FarmSubmitSettings s = settings();
  const QString why = validateFarmSubmit(s, m_projectPath, m_projectModified);
  if (!why.isEmpty()) {
    m_error->setText(why);
    m_error->show();
    return;
  }
  m_error->hide();
  s.save();
  emit submitRequested(s);
  QDialog::accept();
}

}  // namespace ns::ui
