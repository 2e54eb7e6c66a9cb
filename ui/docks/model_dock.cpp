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
#include <QVBoxLayout>

namespace ns::ui {

ModelDock::ModelDock(QWidget* parent) : QDockWidget(tr("Model"), parent) {
  setObjectName(QStringLiteral("modelDock"));
  auto* body = new QWidget(this);
  auto* column = new QVBoxLayout(body);
  m_builtin = new QRadioButton(tr("Built-in shapes model"), body);
  m_pack = new QRadioButton(tr("Model pack folder"), body);
  m_builtin->setChecked(true);
  m_installed = new QComboBox(body);
  m_installed->setToolTip(tr("Model packs in your model folder"));
  m_packDir = new QLineEdit(body);
  m_packDir->setPlaceholderText(tr("folder with model.json"));
  m_browse = new QPushButton(tr("…"), body);
  m_browse->setToolTip(tr("Choose a model-pack folder"));
  auto* packRow = new QHBoxLayout;
  packRow->addWidget(m_packDir, 1);
  packRow->addWidget(m_browse);
  m_device = new QComboBox(body);
  m_device->addItem(tr("CPU"), QStringLiteral("cpu"));
  m_load = new QPushButton(tr("Load model"), body);
  m_status = new QLabel(tr("No model loaded."), body);
  m_status->setWordWrap(true);
  column->addWidget(m_builtin);
  column->addWidget(m_pack);
  column->addWidget(m_installed);
  column->addLayout(packRow);
  auto* form = new QFormLayout;
  form->addRow(tr("Device"), m_device);
  column->addLayout(form);
  column->addWidget(m_load);
  column->addWidget(m_status);
  column->addStretch(1);
  setWidget(body);

  auto sync = [this] {
    m_packDir->setEnabled(m_pack->isChecked());
    m_installed->setEnabled(m_pack->isChecked() && m_installed->count() > 1);
    m_browse->setEnabled(m_pack->isChecked());
  };
  connect(m_pack, &QRadioButton::toggled, this, sync);
  sync();
  connect(m_browse, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Model pack folder"), m_packDir->text());
    if (!dir.isEmpty()) m_packDir->setText(dir);
  });
  connect(m_installed, QOverload<int>::of(&QComboBox::activated), this, [this](int i) {
    const QString dir = m_installed->itemData(i).toString();
    if (!dir.isEmpty()) m_packDir->setText(dir);
  });
  setInstalledPacks({});
  connect(m_load, &QPushButton::clicked, this, [this] { emit loadRequested(choice()); });
}

void ModelDock::setCudaAvailable(bool available) {
  const int i = m_device->findData(QStringLiteral("cuda"));
  if (available && i < 0) m_device->addItem(tr("CUDA"), QStringLiteral("cuda"));
  if (!available && i >= 0) m_device->removeItem(i);
}

void ModelDock::setInstalledPacks(const QStringList& packDirs) {
  m_installed->clear();
  m_installed->addItem(packDirs.isEmpty() ? tr("No packs in your model folder") : tr("Installed packs…"), QString());
  for (const QString& dir : packDirs) m_installed->addItem(QFileInfo(dir).fileName(), dir);
  m_installed->setEnabled(m_pack->isChecked() && !packDirs.isEmpty());
}

void ModelDock::setChoice(const ModelChoice& c) {
  (c.source == ModelSource::Pack ? m_pack : m_builtin)->setChecked(true);
  m_packDir->setText(c.packDir);
  const int i = m_device->findData(c.device);
  m_device->setCurrentIndex(i >= 0 ? i : 0);
}

ModelChoice ModelDock::choice() const {
  ModelChoice c;
  c.source = m_pack->isChecked() ? ModelSource::Pack : ModelSource::Builtin;
  c.packDir = m_packDir->text();
  c.device = m_device->currentData().toString();
  return c;
}

void ModelDock::setStatus(const QString& text) { m_status->setText(text); }
QString ModelDock::status() const { return m_status->text(); }

}  // namespace ns::ui
