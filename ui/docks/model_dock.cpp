#include "ui/docks/model_dock.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QStandardItemModel>
#include <QVBoxLayout>

#include "ui/files/drop_classifier.h"
#include "ui/jobs/model_loader.h"

namespace ns::ui {

namespace {
constexpr int kErrorRole = Qt::UserRole + 1;  // a list entry's probe error ("" when loadable)
constexpr const char* kRecentMotionKey = "model/recentMotionModules";
constexpr int kRecentMotionMax = 5;
}

ModelDock::ModelDock(QWidget* parent) : QDockWidget(tr("Model"), parent) {
  setObjectName(QStringLiteral("modelDock"));
  auto* body = new QWidget(this);
  auto* column = new QVBoxLayout(body);
  m_builtin = new QRadioButton(tr("Built-in shapes model"), body);
  m_pack = new QRadioButton(tr("Model pack or checkpoint"), body);
  m_builtin->setChecked(true);
  m_builtin->setToolTip(tr("The small model shipped with NoiseStudio: shapes and colours on simple backgrounds, fast on a CPU"));
  m_pack->setToolTip(tr("A model pack folder, a Stable Diffusion checkpoint or a diffusers folder"));
  m_installed = new QComboBox(body);
  m_installed->setToolTip(tr("Model packs and Stable Diffusion checkpoints in your model folder"));
  m_packDir = new QLineEdit(body);
  m_packDir->setPlaceholderText(tr("pack folder, .safetensors/.ckpt file or diffusers folder"));
  m_packDir->setToolTip(tr("Path of the model pack, checkpoint file or diffusers folder to load"));
  m_browse = new QPushButton(tr("Folder…"), body);
  m_browse->setToolTip(tr("Choose a model-pack folder or a diffusers folder"));
  m_browseFile = new QPushButton(tr("File…"), body);
  m_browseFile->setToolTip(tr("Choose a Stable Diffusion checkpoint file"));
  auto* packRow = new QHBoxLayout;
  packRow->addWidget(m_packDir, 1);
  packRow->addWidget(m_browse);
  packRow->addWidget(m_browseFile);
  m_device = new QComboBox(body);
  m_device->addItem(tr("CPU"), QStringLiteral("cpu"));
  m_device->setToolTip(tr("Where the model runs (CUDA is offered when a GPU is available)"));
  m_motion = new QComboBox(body);
  m_motion->setObjectName(QStringLiteral("motionModule"));
  m_motion->setToolTip(tr("A motion module makes the model a video model: the frames of a clip are denoised together "
                          "(temporal attention across frames). The built-in one goes with the built-in model, "
                          "AnimateDiff files with Stable Diffusion 1.5 checkpoints."));
  m_motion->addItem(tr("None (image model)"), QString());
  if (const QString builtin = builtinMotionModulePath(); !builtin.isEmpty()) {
    m_motion->addItem(tr("Built-in motion (shapes video)"), builtin);
    m_motion->setItemData(m_motion->count() - 1, builtin, Qt::ToolTipRole);
  }
  for (const QString& file : QSettings().value(QString::fromLatin1(kRecentMotionKey)).toStringList())
    if (QFileInfo::exists(file) && m_motion->findData(file) < 0) {
      m_motion->addItem(QFileInfo(file).fileName(), file);
      m_motion->setItemData(m_motion->count() - 1, file, Qt::ToolTipRole);
    }
  m_motionFile = new QPushButton(tr("File…"), body);
  m_motionFile->setObjectName(QStringLiteral("motionModuleFile"));
  m_motionFile->setToolTip(tr("Choose a motion-module file (AnimateDiff v2/v3 .safetensors/.ckpt, or a built-in one)"));
  auto* motionRow = new QHBoxLayout;
  motionRow->addWidget(m_motion, 1);
  motionRow->addWidget(m_motionFile);
  m_load = new QPushButton(tr("Load model"), body);
  m_load->setToolTip(tr("Load the chosen model on the model thread; the one loaded before stays until it is ready"));
  m_status = new QLabel(tr("No model loaded."), body);
  m_status->setWordWrap(true);
  m_current = new QLabel(tr("Current: none"), body);
  m_current->setWordWrap(true);
  column->addWidget(m_builtin);
  column->addWidget(m_pack);
  column->addWidget(m_installed);
  column->addLayout(packRow);
  auto* form = new QFormLayout;
  form->addRow(tr("Motion"), motionRow);
  form->addRow(tr("Device"), m_device);
  column->addLayout(form);
  column->addWidget(m_load);
  column->addWidget(m_current);
  column->addWidget(m_status);
  column->addStretch(1);
  setWidget(body);

  auto sync = [this] {
    m_packDir->setEnabled(m_pack->isChecked());
    m_browse->setEnabled(m_pack->isChecked());
    m_browseFile->setEnabled(m_pack->isChecked());
  };
  connect(m_pack, &QRadioButton::toggled, this, sync);
  sync();
  connect(m_browse, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Model pack or diffusers folder"), m_packDir->text());
    if (!dir.isEmpty()) m_packDir->setText(dir);
  });
  connect(m_browseFile, &QPushButton::clicked, this, [this] {
    const QString file = QFileDialog::getOpenFileName(this, tr("Stable Diffusion checkpoint"), m_packDir->text(),
                                                      tr("Checkpoints (*.safetensors *.ckpt *.pt *.pth)"));
    if (!file.isEmpty()) m_packDir->setText(file);
  });
  connect(m_installed, QOverload<int>::of(&QComboBox::activated), this, [this](int i) {
    const QString path = m_installed->itemData(i).toString();
    const QString error = m_installed->itemData(i, kErrorRole).toString();
    if (!error.isEmpty()) {
      // Listed so the user sees why it is not offered; never handed to the loader.
      setStatus(tr("Cannot load: %1").arg(error));
      return;
    }
    if (path.isEmpty()) return;
    m_pack->setChecked(true);  // picking a listed model chooses it
    m_packDir->setText(path);
  });
  connect(m_motionFile, &QPushButton::clicked, this, [this] {
    const QString file = QFileDialog::getOpenFileName(this, tr("Motion module"), QString(),
                                                      tr("Motion modules (*.safetensors *.ckpt *.pt *.pth)"));
    if (!file.isEmpty()) addMotionModuleFile(file);
  });
  setInstalledPacks({});
  connect(m_load, &QPushButton::clicked, this, [this] { emit loadRequested(choice()); });
}

void ModelDock::addMotionModuleFile(const QString& path) {
  const QString file = QFileInfo(path).absoluteFilePath();
  int i = m_motion->findData(file);
  if (i < 0) {
    // After "None" and the built-in entry, newest first.
    const int at = m_motion->findData(builtinMotionModulePath()) > 0 ? 2 : 1;
    m_motion->insertItem(at, QFileInfo(file).fileName(), file);
    m_motion->setItemData(at, file, Qt::ToolTipRole);
    i = at;
  }
  m_motion->setCurrentIndex(i);
  if (file == builtinMotionModulePath()) return;  // always offered; not a "recent" file
  QStringList recent = QSettings().value(QString::fromLatin1(kRecentMotionKey)).toStringList();
  recent.removeAll(file);
  recent.prepend(file);
  while (recent.size() > kRecentMotionMax) recent.removeLast();
  QSettings().setValue(QString::fromLatin1(kRecentMotionKey), recent);
}

void ModelDock::setCudaAvailable(bool available) {
  const int i = m_device->findData(QStringLiteral("cuda"));
  if (available && i < 0) m_device->addItem(tr("CUDA"), QStringLiteral("cuda"));
  if (!available && i >= 0) m_device->removeItem(i);
}

void ModelDock::setInstalledPacks(const QStringList& packDirs) {
  QList<ModelListEntry> entries;
  for (const QString& dir : packDirs) entries.push_back({dir, ModelSource::Pack, QFileInfo(dir).fileName(), {}});
  setInstalledModels(entries);
}

void ModelDock::setInstalledModels(const QList<ModelListEntry>& entries) {
  m_installed->clear();
  m_installed->addItem(entries.isEmpty() ? tr("No models in your model folder") : tr("Models in your folder…"), QString());
  auto* model = qobject_cast<QStandardItemModel*>(m_installed->model());
  for (const ModelListEntry& e : entries) {
    m_installed->addItem(e.label, e.path);
    const int row = m_installed->count() - 1;
    m_installed->setItemData(row, e.error, kErrorRole);
    m_installed->setItemData(row, e.loadable() ? e.path : e.error, Qt::ToolTipRole);
    if (!e.loadable() && model) model->item(row)->setEnabled(false);  // listed, but not selectable
  }
  m_installed->setEnabled(!entries.isEmpty());
}

void ModelDock::setCurrent(const QString& path, const QString& description) {
  m_currentPath = path;
  m_current->setText(path.isEmpty() ? tr("Current: none") : tr("Current: %1").arg(description));
}

QString ModelDock::currentText() const { return m_current->text(); }

void ModelDock::setChoice(const ModelChoice& c) {
  (c.source == ModelSource::Pack || c.source == ModelSource::Checkpoint ? m_pack : m_builtin)->setChecked(true);
  m_packDir->setText(c.path);
  const int i = m_device->findData(c.device);
  m_device->setCurrentIndex(i >= 0 ? i : 0);
  if (c.motionModule.isEmpty()) m_motion->setCurrentIndex(0);
  else addMotionModuleFile(c.motionModule);
}

ModelChoice ModelDock::choice() const {
  ModelChoice c;
  c.path = m_packDir->text();
  c.source = !m_pack->isChecked()                            ? ModelSource::Builtin
             : classifyDrop(c.path) == DropKind::SdCheckpoint ? ModelSource::Checkpoint
                                                              : ModelSource::Pack;
  c.device = m_device->currentData().toString();
  c.motionModule = m_motion->currentData().toString();
  return c;
}

void ModelDock::setStatus(const QString& text) { m_status->setText(text); }
QString ModelDock::status() const { return m_status->text(); }

}  // namespace ns::ui
