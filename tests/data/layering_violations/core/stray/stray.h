#pragma once
#include "core/util/result.h"  // VIOLATION: core/stray is no declared module
