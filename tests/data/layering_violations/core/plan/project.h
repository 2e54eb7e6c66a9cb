#pragma once
#include "core/model/scene.h"
#include "core/util/result.h"
