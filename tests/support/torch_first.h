#pragma once
// <torch/torch.h> for tests that need the full C++ API (nn modules, jit, torch::cuda). LibTorch
// uses `slots`, `signals` and `emit` as identifiers, which Qt (and ns_test.h's stand-in) define as
// macros, so the macros are set aside while it is parsed. Include this BEFORE tests/support/ns_test.h.
#pragma push_macro("slots")
#pragma push_macro("signals")
#pragma push_macro("emit")
#undef slots
#undef signals
#undef emit
#include <torch/torch.h>
#pragma pop_macro("emit")
#pragma pop_macro("signals")
#pragma pop_macro("slots")
