#pragma once
#include "core/util/result.h"
#include "core/plan/project.h"  // VIOLATION: model below plan
