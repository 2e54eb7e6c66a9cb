// MainWindow: File → Render on farm… and the Farm jobs dock. The saved project file is submitted
// by running `noisestudio-cli --json farm submit …` as a process (FarmCliCall): the window never
// waits on Slurm, and the document is never touched — a refusal (exit 2) only reaches the banner.
#include <QDir>
#include <QStatusBar>

#include "ui/docks/farm_jobs_dock.h"
#include "ui/farm/farm_cli_call.h"
#include "ui/farm/farm_submit_dialog.h"
#include "ui/main_window.h"
#include "ui/project_document.h"

namespace ns::ui {

void MainWindow::buildFarmDock() {
  m_farmJobs = new FarmJobsDock(this);
  addDockWidget(Qt::BottomDockWidgetArea, m_farmJobs);
  if (m_farmJobs->jobs().isEmpty()) m_farmJobs->hide();  // shown once there is a job to follow
  connect(m_farmJobs, &FarmJobsDock::failed, this, &MainWindow::showError);
  // The merged video as the window's clip: not openFile(), which reopens the plan a NoiseStudio
  // result carries (the merge writes <name>.mp4.nsproj) instead of showing the frames.
  connect(m_farmJobs, &FarmJobsDock::openResultRequested, this, [this](const QString& path) { loadVideoSource(path); });
}

FarmSubmitDialog* MainWindow::renderOnFarm() {
  auto* dialog = new FarmSubmitDialog(m_doc->filePath(), m_doc->isModified(), this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  // Paths are taken now: the dialog is window-modal, so the document cannot change under it.
  const QString project = m_doc->filePath();
  connect(dialog, &FarmSubmitDialog::submitRequested, this,
          [this, project](const FarmSubmitSettings& s) { submitToFarm(project, s); });
  dialog->open();
  return dialog;
}

void MainWindow::submitToFarm(const QString& projectPath, const FarmSubmitSettings& settings) {
  auto* call = new FarmCliCall(settings.cliArguments(projectPath), FarmCliEffect::ChangesJob, this);
  ++m_farmSubmits;
  statusBar()->showMessage(tr("Submitting %1 to the farm…").arg(QDir::toNativeSeparators(projectPath)));
  connect(call, &FarmCliCall::finished, this, [this, projectPath](const FarmCliResult& r) {
    --m_farmSubmits;
    if (!r.ok) {
      statusBar()->clearMessage();
      showError(tr("Render on farm: %1").arg(r.error));
      emit farmSubmitFinished(false);
      return;
    }
    const QString out = r.json.value(QStringLiteral("out")).toString();
    m_farmJobs->addJob(out);
    statusBar()->showMessage(tr("Submitted to the farm: array job %1, merge job %2 → %3")
                                 .arg(r.json.value(QStringLiteral("array_job")).toString(),
                                      r.json.value(QStringLiteral("merge_job")).toString(), QDir::toNativeSeparators(out)),
                             8000);
    emit farmSubmitFinished(true);
  });
  call->start();
}

}  // namespace ns::ui
