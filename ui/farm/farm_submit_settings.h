#pragma once
// FarmSubmitSettings: what File → Render on farm… asks for, remembered between sessions
// (QSettings group "farm/submit"), turned into the `noisestudio-cli farm submit` argument list,
// and checked before anything is submitted (validateFarmSubmit). The CLI checks again (partition,
// inputs, an existing job in OUT); this check catches what the window can see without Slurm so
// the dialog can stay open with the reason. UI thread only (QSettings).

#include <QString>
#include <QStringList>

namespace ns::ui {

struct FarmSubmitSettings {
  QString engine = QStringLiteral("slurm");  // the only engine the CLI knows
  int chunk = 8;                             // frames per array task
  QString partition;                         // "" = the cluster's default partition
  int cpusPerTask = 0;                       // 0 = not asked for (tasks then use 1 thread)
  int gpusPerTask = 0;                       // 0 = none
  QString mem;                               // Slurm size ("8G"); "" = the cluster's default
  QString time;                              // Slurm time limit ("01:00:00"); "" = the partition's
  int maxParallel = 0;                       // most tasks at once; 0 = no limit
  QString model;                             // model folder or checkpoint as the nodes see it; "" = built-in
  QString outDir;                            // OUT: frames, video and the job folder (shared storage)

  static FarmSubmitSettings load();  // the last accepted settings, or the defaults above
  void save() const;
  // `--json farm submit PROJECT --engine … -o OUT`: the arguments after the CLI's path.
  QStringList cliArguments(const QString& projectPath) const;
};

// "" when the settings can be submitted for the saved project at `projectPath`; otherwise one
// sentence naming the field (or file) and the problem. `projectModified`: the document has
// unsaved changes (the farm renders the file on disk, so those would be lost on the nodes).
// sbatch is looked up on this process's PATH.
QString validateFarmSubmit(const FarmSubmitSettings& s, const QString& projectPath, bool projectModified);

}  // namespace ns::ui
