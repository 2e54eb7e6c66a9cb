#pragma once
#include "core/engine/engine.h"
#include "core/model/scene.h"
