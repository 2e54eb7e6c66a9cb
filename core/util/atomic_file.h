#pragma once
// Atomic file writes for documents and small sidecar files (projects, model.json, settings).
//
// writeFileAtomic(path, bytes): writes `path.tmp`, fsyncs it, optionally keeps the current file as
// `path.bak` (a hard link, or a copy where links are not possible, made as `path.bak.tmp` and
// renamed over the old backup), renames the temp file over `path` and fsyncs the folder. At every
// moment `path` holds either the complete old or the complete new contents, and `path.bak` (once
// it exists) a complete earlier version; a crash at any point leaves at worst a stray `path.tmp`
// / `path.bak.tmp` that readers ignore and the next save replaces (tests/core/plan/
// tst_crash_safe_save.cpp kills saves at random points to check this).
//
// Thread safety: plain functions with no shared state; two writers of the same path at once
// race on `path.tmp` (callers serialise saves of one document).

#include <string>

#include "core/util/result.h"

namespace ns {

// Whether writeFileAtomic keeps the previous version.
enum class BackupMode {
  Invalid = 0,
  None,       // no backup
  KeepOne,    // the file being replaced becomes `<path>.bak` (the older .bak is dropped)
};

// The temp file name writeFileAtomic uses for `path` ("<path>.tmp").
std::string atomicTempPath(const std::string& path);
// The backup name for `path` ("<path>.bak").
std::string backupPath(const std::string& path);

// Replaces `path` with `bytes` atomically (see above). Errors name the file and the failing step.
Result<void> writeFileAtomic(const std::string& path, const std::string& bytes,
                             BackupMode backup = BackupMode::KeepOne);

// Reads a whole file. maxBytes guards against opening something huge by mistake.
Result<std::string> readFileBytes(const std::string& path, size_t maxBytes = size_t(256) << 20);

}  // namespace ns
