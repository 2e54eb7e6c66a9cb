#pragma once
// PickleMachine: a restricted unpickler for the data.pkl of a torch.save checkpoint. It never runs
// anything from the file: it builds a tree of plain values (PickleTree) that the caller interprets.
//
// Opcodes: those of pickle protocols 2-5 that torch.save and Python's pickler emit for dicts, lists,
// tuples, sets, strings, bytes, numbers, globals and objects (see kOpcodeNames in the .cpp for the list).
// The text opcodes of protocol 0 (INT, STRING, PUT, GET ...) and the extension registry are refused.
//
// Globals. GLOBAL / STACK_GLOBAL only make a reference value (PickleKind::Global, "module.name"); what
// matters is what may be done with one:
//   - REDUCE (a call) is allowed only on this list, and each is interpreted here in C++ or left as a
//     PickleKind::Call node for the caller, never executed:
//       collections.OrderedDict()                      -> Dict
//       builtins.set(list) / torch.Size(tuple)         -> Set / Tuple
//       _codecs.encode(str, "latin1")                  -> Bytes (how protocol 2 writes Python bytes)
//       torch._utils._rebuild_tensor_v2, _rebuild_parameter, _rebuild_parameter_with_state
//                                                      -> Call (torch_checkpoint.cpp rebuilds the tensor)
//       numpy.core.multiarray.scalar, numpy.dtype      -> Opaque (Lightning checkpoints keep metrics as
//                                                         numpy scalars; the value is never used)
//     REDUCE on any other global is refused with the global's name ("posix.system").
//   - NEWOBJ / NEWOBJ_EX (cls.__new__, as protocol 2 writes plain class instances such as Lightning's
//     ModelCheckpoint callback state) make an Object node holding the class name and arguments; BUILD
//     stores its state. Nothing of the class is ever called, so such objects are inert data; the
//     checkpoint reader ignores them.
//   - BINPERSID makes a PersistentId node (torch's storage references).
// Values are nodes in one arena addressed by index, so memo references, shared and even cyclic
// structures cost nothing to build or to free (no recursion, no reference-count cycles).
//
// Bounds (PickleLimits): operand stack, mark stack, memo entries, nodes, and total bytes held by
// nodes. Every length is checked against the bytes left before anything is allocated, so the tree is
// at most a small multiple of the pickle's size and a hostile file cannot exhaust memory.
// Thread safety: run() is reentrant; a PickleMachine holds only its limits.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/util/result.h"

namespace ns {

enum class PickleKind : uint8_t {
  Invalid = 0,   // never produced
  None,          // Python None
  Bool,          // integer is 0 or 1
  Int,           // fits int64: integer
  BigInt,        // wider than 64 bits: text holds the little-endian two's-complement bytes
  Float,         // real
  String,        // UTF-8 as stored: text
  Bytes,         // text
  Tuple,         // items
  List,          // items
  Dict,          // items: key0, value0, key1, value1 ... (insertion order; later duplicates win on lookup)
  Set,           // items
  Global,        // text: "module.name"
  Object,        // an instance made by NEWOBJ: items = {class global, args tuple}; state from BUILD
  Call,          // an allowed torch call left to the caller: items = {function global, args tuple}
  PersistentId,  // items = {the persistent id value}
  Opaque,        // a value we do not model (numpy scalar/dtype): text names what made it
};

const char* pickleKindName(PickleKind kind);

struct PickleValue {
  static constexpr uint32_t kNone = UINT32_MAX;
  PickleKind kind = PickleKind::Invalid;
  int64_t integer = 0;
  double real = 0.0;
  std::string text;
  std::vector<uint32_t> items;  // node indices
  uint32_t state = kNone;       // BUILD state (node index) when one was applied
};

struct PickleTree {
  std::vector<PickleValue> nodes;
  uint32_t root = PickleValue::kNone;
  const PickleValue& at(uint32_t index) const { return nodes.at(index); }
  // The value of `key` in a Dict node (last one wins, as in Python), or kNone.
  uint32_t dictGet(uint32_t dict, const std::string& key) const;
};

struct PickleLimits {
  size_t maxStack = size_t(1) << 22;       // operand stack entries
  size_t maxMarks = size_t(1) << 16;       // nested MARKs
  size_t maxMemo = size_t(1) << 22;        // memo entries
  size_t maxNodes = size_t(1) << 24;       // values built
  size_t maxBytes = size_t(1) << 30;       // bytes held by the tree (nodes, items, strings)
};

class PickleMachine {
 public:
  explicit PickleMachine(PickleLimits limits = {}) : m_limits(limits) {}
  // Runs the pickle in [data, data + size) up to STOP. `nameForErrors` names it in messages
  // ("model.ckpt: data.pkl"), which also give the byte offset of the failing opcode.
  Result<PickleTree> run(const uint8_t* data, size_t size, const std::string& nameForErrors) const;

 private:
  PickleLimits m_limits;
};

}  // namespace ns
