#pragma once
// Safetensors reader/writer (https://github.com/huggingface/safetensors format):
//   8-byte little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}}
//   then the raw little-endian tensor bytes (offsets are relative to the end of the header).
// Dtypes: F16, BF16, F32, F64, I64, I32, I16, I8, U8, BOOL.
//
// The reader checks everything before trusting it (truncated files, header length, JSON, dtypes,
// shapes, offsets in range and not overlapping) and returns an error that names the file and the
// tensor. Tensors come back as contiguous CPU tensors that own their memory.
// The writer is atomic: it writes <path>.tmp-<pid>, fsyncs, then renames over <path>.
// Thread safety: both functions are reentrant (no shared state).

#include <ATen/core/Tensor.h>

#include <map>
#include <string>

#include "core/util/result.h"

namespace ns {

struct SafetensorsFile {
  std::map<std::string, at::Tensor> tensors;
  std::map<std::string, std::string> metadata;
};

// Reads a whole safetensors file into CPU tensors.
Result<SafetensorsFile> readSafetensors(const std::string& path);
// Maps the file into memory instead of reading it: the tensors are views of the mapping (pages load
// on first touch and stay in the page cache; the mapping lives as long as any tensor), so a 2-4 GB
// checkpoint costs no copy. MAP_PRIVATE: writing to a tensor never reaches the file. Same checks and
// errors as readSafetensors; a tensor misaligned for its dtype gets an owned copy.
Result<SafetensorsFile> mapSafetensors(const std::string& path);
// Parses safetensors bytes already in memory; `nameForErrors` names the source in messages.
Result<SafetensorsFile> parseSafetensors(const std::string& bytes, const std::string& nameForErrors);

// Writes `tensors` (any device; moved to CPU, made contiguous) and string `metadata` atomically.
Result<void> writeSafetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                              const std::map<std::string, std::string>& metadata = {});
// The file's bytes, as writeSafetensors would write them (header padded to 8 bytes).
Result<std::string> serializeSafetensors(const std::map<std::string, at::Tensor>& tensors,
                                         const std::map<std::string, std::string>& metadata = {});

}  // namespace ns
