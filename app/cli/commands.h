#pragma once
// Each verb lives in its own cmd_<verb>.cpp and registers itself here (called from main.cpp).

#include "app/cli/cli_common.h"

namespace ns::cli {

// Global options that say how to read a Stable Diffusion checkpoint (--prediction, --tokenizer ...).
void addModelSourceOptions(CLI::App& app, GlobalOptions& g);
void addInfoCommand(CLI::App& app, GlobalOptions& g, CommandTable& table);
void addGenerateCommand(CLI::App& app, GlobalOptions& g, CommandTable& table);
void addModelCommand(CLI::App& app, GlobalOptions& g, CommandTable& table);
void addInvertCommand(CLI::App& app, GlobalOptions& g, CommandTable& table);
void addEditCommand(CLI::App& app, GlobalOptions& g, CommandTable& table);
void addNoiseCommands(CLI::App& app, GlobalOptions& g, CommandTable& table);  // warp, interpolate, search
void addPlanCommands(CLI::App& app, GlobalOptions& g, CommandTable& table);
void addFarmCommand(CLI::App& app, GlobalOptions& g, CommandTable& table);  // farm submit|status|resume|cancel|merge
void addEvalLayoutCommand(CLI::App& app, GlobalOptions& g, CommandTable& table);
void addEvalVideoCommand(CLI::App& app, GlobalOptions& g, CommandTable& table);  // after addEvalLayoutCommand

}  // namespace ns::cli
