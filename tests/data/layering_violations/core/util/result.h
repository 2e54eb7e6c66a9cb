#pragma once
#include "core/util/result.h"
