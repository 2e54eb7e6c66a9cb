#pragma once
// Reads PyTorch checkpoints (.ckpt / .pt / .pth written by torch.save since torch 1.6) without running
// any pickle code (issue 15, item 2).
//
// Format: a zip archive of STORED entries (zip_archive.h) under one root folder:
//   <root>/data.pkl        the pickled object (protocol 2), tensors as calls of
//                          torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)
//                          whose storage is a persistent id ('storage', torch.<T>Storage, key, location, numel)
//   <root>/data/<key>      each storage's raw little-endian bytes
//   <root>/version, <root>/byteorder (absent before torch 2.1; "big" is refused, we do not byte-swap)
// data.pkl runs in PickleMachine (pickle_machine.h): only tensor-rebuilding globals can be called;
// os.system & co. are refused by name. Legacy (pre-1.6, non-zip) files and TorchScript archives are
// refused with a message saying what to do instead.
//
// Which tensors come back (the flattening rule):
//   1. If the top-level value is a dict with a "state_dict" key holding a dict (Lightning / LDM
//      training checkpoints: {"state_dict": {...}, "global_step": ..., "epoch": ...}), that dict is
//      the root; otherwise the top-level dict is.
//   2. Every tensor (or nn.Parameter) value of the root is returned under its key. A dict value is
//      walked the same way with "<key>." prepended to its names ({"module": {"w": t}} -> "module.w"),
//      so nested names are joined only where the file itself nests them.
//   3. Everything else (numbers, strings, lists, optimizer and callback objects, non-string keys) is
//      skipped, and the tensors inside it are never rebuilt. Two paths giving one name is an error.
// Tensors keep their stored dtype (storage class: Float, Half, BFloat16, Double, Long, Int, Short,
// Char, Byte, Bool), shape, strides and offset.
//
// Memory: readTorchCheckpoint maps the file (mmap, MAP_PRIVATE, as mapSafetensors does) and every
// storage is one at::from_blob view of its zip entry whose deleter keeps the mapping alive: a 2-4 GB
// checkpoint is not read, let alone copied, and pages load on first touch. Tensors that share a storage
// are views of the same bytes. A tensor whose strides are not contiguous (a saved transpose) is
// rebuilt with as_strided on its storage and copied once into a contiguous tensor of its own, since
// consumers expect contiguous weights; so is a storage misaligned for its dtype. Those copies are
// limited to 4x the file size + 64 MiB in total, so stride-0 tricks cannot allocate without bound.
// Errors name the file and the zip entry, tensor or global. Thread safety: reentrant.

#include <string>

#include "core/model/sd/weight_map.h"
#include "core/util/result.h"

namespace ns {

// Maps and reads a checkpoint file.
Result<sd::WeightMap> readTorchCheckpoint(const std::string& path);
// Same from bytes already in memory (copied once and owned by the returned tensors); `nameForErrors`
// names the source in messages. For tests and the fuzz target.
Result<sd::WeightMap> parseTorchCheckpoint(const std::string& bytes, const std::string& nameForErrors);

}  // namespace ns
