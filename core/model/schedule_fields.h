#pragma once
// parseScheduleFields: the "schedule" object of a model.json (built-in model and model packs
// alike) into a ScheduleConfig, with errors that name the file and the field.

#include "core/model/json_fields.h"
#include "core/model/schedule_config.h"
#include "core/util/result.h"

namespace ns {

// Required: beta_schedule, beta_start, beta_end (both in (0, 1)), train_steps (2..100000).
// Optional: timestep_spacing ("leading"), steps_offset (1, in [0, train_steps)),
// set_alpha_to_one and zero_terminal_snr (false).
Result<ScheduleConfig> parseScheduleFields(const JsonFields& f);

}  // namespace ns
