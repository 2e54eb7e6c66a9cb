#include "core/farm/slurm_resources_json.h"

namespace ns::farm {

nlohmann::json slurmResourcesToJson(const SlurmResources& slurm) {
  return {{"partition", slurm.partition}, {"cpus_per_task", slurm.cpusPerTask}, {"mem", slurm.mem},
          {"time", slurm.time},           {"gpus_per_task", slurm.gpusPerTask}, {"max_parallel", slurm.maxParallel}};
}

SlurmResources slurmResourcesFromJson(const nlohmann::json& j) {
  SlurmResources s;
  s.partition = j.value("partition", "");
  s.cpusPerTask = j.value("cpus_per_task", 0);
  s.mem = j.value("mem", "");
  s.time = j.value("time", "");
  s.gpusPerTask = j.value("gpus_per_task", 0);
  s.maxParallel = j.value("max_parallel", 0);
  return s;
}

}  // namespace ns::farm
