#pragma once
// Small text files of the job folder (settings, state, sbatch scripts): written to a temp name,
// fsynced and renamed, so a reader on another node sees the old or the new file, never half.
// (core/util/atomic_file.h does the same for documents, but core/util links LibTorch and the farm
// module must not.) Reads are bounded.

#include <string>

#include "core/util/result.h"

namespace ns::farm {

Result<void> writeTextFile(const std::string& path, const std::string& text, unsigned mode = 0644);
Result<std::string> readTextFile(const std::string& path, size_t maxBytes = size_t(16) << 20);
// The last `lines` lines of a (log) file, "" when it does not exist; reads at most the last 64 KiB.
std::string tailOfFile(const std::string& path, int lines);

}  // namespace ns::farm
