#pragma once
// The "slurm" object of a job folder's settings.json (project jobs and batches write the same one).
#include <nlohmann/json.hpp>

#include "core/farm/farm_job.h"

namespace ns::farm {

nlohmann::json slurmResourcesToJson(const SlurmResources& slurm);
// Missing keys keep SlurmResources' defaults; a wrong type throws nlohmann::json::exception (the
// callers turn it into an error naming settings.json).
SlurmResources slurmResourcesFromJson(const nlohmann::json& j);

}  // namespace ns::farm
