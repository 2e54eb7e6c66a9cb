#pragma once
// Logging setup. The app and core log through spdlog's default logger; initLogging() sends
// everything to a rotating file in the user's data folder and warnings+ to stderr.
// Level from NS_LOG_LEVEL (trace|debug|info|warn|error|off) or `verbose`.

#include <string>

namespace ns {

// appName names the log file (<data>/NoiseStudio/logs/<appName>.log). Safe to call twice.
void initLogging(const std::string& appName, bool verbose = false);
// The user's data folder for NoiseStudio ($XDG_DATA_HOME/NoiseStudio or ~/.local/share/NoiseStudio).
std::string userDataDir();

}  // namespace ns
