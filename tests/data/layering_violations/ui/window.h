#pragma once
#include "core/engine/engine.h"
#include "core/engine/engine_common.h"  // VIOLATION: engine internal
#include "core/plan/project.h"
