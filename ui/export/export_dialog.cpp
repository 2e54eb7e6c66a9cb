#include "ui/export/export_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSize>
#include <QSpinBox>
#include <QStandardItemModel>

namespace ns::ui {

ExportDialog::ExportDialog(int frames, int width, int height, const QString& defaultDir, const QString& stem,
                           QWidget* parent)
    : QDialog(parent), m_stem(stem) {
  setWindowTitle(tr("Export"));
  auto* form = new QFormLayout(this);

  m_format = new QComboBox(this);
  for (ExportFormat f : {ExportFormat::Mp4H264, ExportFormat::Mp4Mpeg4, ExportFormat::MkvFfv1, ExportFormat::PngSequence}) {
    m_format->addItem(exportFormatLabel(f), int(f));
    if (!exportFormatAvailable(f)) {
      // Listed, so nobody wonders where H.264 went; disabled with the reason.
      auto* model = qobject_cast<QStandardItemModel*>(m_format->model());
      QStandardItem* item = model->item(m_format->count() - 1);
      item->setEnabled(false);
      item->setToolTip(tr("This system's FFmpeg cannot encode this format"));
    }
  }
  m_format->setCurrentIndex(exportFormatAvailable(ExportFormat::Mp4H264) ? 0 : 1);
  m_format->setToolTip(tr("H.264 for sharing and editing tools; MPEG-4 for old players; FFV1 and PNG keep every pixel"));
  form->addRow(tr("Format"), m_format);

  auto* range = new QHBoxLayout;
  m_first = new QSpinBox(this);
  m_last = new QSpinBox(this);
  m_first->setRange(1, std::max(1, frames));
  m_last->setRange(1, std::max(1, frames));
  m_first->setValue(1);
  m_last->setValue(std::max(1, frames));
  m_first->setToolTip(tr("First frame written (1 = the first)"));
  m_last->setToolTip(tr("Last frame written"));
  range->addWidget(m_first);
  range->addWidget(new QLabel(tr("to"), this));
  range->addWidget(m_last);
  range->addWidget(new QLabel(tr("of %1").arg(frames), this));
  form->addRow(tr("Frames"), range);

  m_size = new QComboBox(this);
  m_size->addItem(tr("%1 × %2 (as rendered)").arg(width).arg(height), QSize(width, height));
  m_size->addItem(tr("%1 × %2 (half)").arg(width / 2).arg(height / 2), QSize(width / 2, height / 2));
  m_size->addItem(tr("%1 × %2 (double)").arg(width * 2).arg(height * 2), QSize(width * 2, height * 2));
  m_size->addItem(tr("%1 × %2 (quadruple)").arg(width * 4).arg(height * 4), QSize(width * 4, height * 4));
  m_size->setToolTip(tr("Output size: area averaging when smaller, bicubic when larger"));
  form->addRow(tr("Size"), m_size);

  auto* where = new QHBoxLayout;
  m_path = new QLineEdit(this);
  m_path->setToolTip(tr("The video file, or the folder for a PNG sequence"));
  auto* browse = new QPushButton(tr("Browse…"), this);
  browse->setToolTip(tr("Choose the file or folder to export into"));
  where->addWidget(m_path, 1);
  where->addWidget(browse);
  form->addRow(tr("Save to"), where);
  m_path->setText(QDir(defaultDir).filePath(stem + exportExtension(ExportFormat(m_format->currentData().toInt()))));
  connect(browse, &QPushButton::clicked, this, [this] {
    const auto f = ExportFormat(m_format->currentData().toInt());
    const QString chosen = f == ExportFormat::PngSequence
                               ? QFileDialog::getExistingDirectory(this, tr("Export into folder"), m_path->text())
                               : QFileDialog::getSaveFileName(this, tr("Export"), m_path->text(),
                                                              exportFormatLabel(f) + " (*" + exportExtension(f) + ")");
    if (!chosen.isEmpty()) m_path->setText(chosen);
  });
  connect(m_format, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] { formatChanged(); });

  m_problem = new QLabel(this);
  m_problem->setStyleSheet(QStringLiteral("color: #c0392b"));
  m_problem->setWordWrap(true);
  m_problem->hide();
  form->addRow(m_problem);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  buttons->button(QDialogButtonBox::Ok)->setText(tr("Export"));
  buttons->button(QDialogButtonBox::Ok)->setToolTip(tr("Write the export as a job (progress in the status bar; Esc cancels)"));
  buttons->button(QDialogButtonBox::Cancel)->setToolTip(tr("Close without exporting"));
  connect(buttons, &QDialogButtonBox::accepted, this, &ExportDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  form->addRow(buttons);
}

void ExportDialog::formatChanged() {
  // Keep the name, follow the format: clip.mp4 -> clip.mkv -> clip (folder).
  const auto f = ExportFormat(m_format->currentData().toInt());
  QFileInfo info(m_path->text());
  const QString base = QDir(info.path()).filePath(info.suffix().isEmpty() ? info.fileName() : info.completeBaseName());
  m_path->setText(base + exportExtension(f));
}

ExportSettings ExportDialog::settings() const {
  ExportSettings s;
  s.format = ExportFormat(m_format->currentData().toInt());
  s.path = m_path->text().trimmed();
  const QString ext = exportExtension(s.format);
  if (!ext.isEmpty() && !s.path.isEmpty() && !s.path.endsWith(ext, Qt::CaseInsensitive)) s.path += ext;
  s.first = m_first->value() - 1;
  s.last = m_last->value() - 1;
  const QSize size = m_size->currentData().toSize();
  s.width = size.width();
  s.height = size.height();
  return s;
}

void ExportDialog::accept() {
  const ExportSettings s = settings();
  QString problem;
  if (s.path.isEmpty()) problem = tr("Choose where to write the export.");
  else if (s.first > s.last) problem = tr("The first frame (%1) comes after the last (%2).").arg(s.first + 1).arg(s.last + 1);
  else if (s.width < 8 || s.height < 8) problem = tr("%1 × %2 is too small to export.").arg(s.width).arg(s.height);
  else if (!exportFormatAvailable(s.format)) problem = tr("This system cannot write %1.").arg(exportFormatLabel(s.format));
  if (!problem.isEmpty()) {
    m_problem->setText(problem);
    m_problem->show();
    return;
  }
  QDialog::accept();
}

}  // namespace ns::ui
