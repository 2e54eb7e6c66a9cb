#include "core/model/checkpoint/pickle_machine.h"

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <utility>

namespace ns {
namespace {

// Thrown inside run() only and turned into its Result: every opcode handler can fail in several
// places, and an exception keeps each check to one line.
struct PickleFailure {
  std::string what;
};

[[noreturn]] void fail(std::string what) { throw PickleFailure{std::move(what)}; }

// The REDUCE targets a checkpoint may call, and what the call becomes (see the header).
enum class Callable { Refused = 0, OrderedDict, Set, Size, CodecsEncode, TorchRebuild, NumpyOpaque };

Callable callableFor(const std::string& global) {
  if (global == "collections.OrderedDict") return Callable::OrderedDict;
  if (global == "builtins.set" || global == "builtins.frozenset") return Callable::Set;
  if (global == "torch.Size") return Callable::Size;
  if (global == "_codecs.encode") return Callable::CodecsEncode;
  if (global == "torch._utils._rebuild_tensor_v2" || global == "torch._utils._rebuild_parameter" ||
      global == "torch._utils._rebuild_parameter_with_state")
    return Callable::TorchRebuild;
  if (global == "numpy.core.multiarray.scalar" || global == "numpy._core.multiarray.scalar" || global == "numpy.dtype")
    return Callable::NumpyOpaque;
  return Callable::Refused;
}

// Python 2 module names that Python 3's unpickler maps (fix_imports) and torch files still carry.
std::string normalizeModule(std::string module) {
  if (module == "__builtin__") return "builtins";
  return module;
}

class Interpreter {
 public:
  Interpreter(const uint8_t* data, size_t size, const PickleLimits& limits)
      : m_data(data), m_size(size), m_limits(limits) {}

  PickleTree run() {
    while (true) {
      m_opAt = m_pos;
      const uint8_t op = u8();
      if (op == '.') {  // STOP
        m_tree.root = pop();
        return std::move(m_tree);
      }
      step(op);
    }
  }

  size_t opOffset() const { return m_opAt; }

 private:
  // ---- reading the byte stream (every read is checked against the bytes left) ----
  void need(uint64_t n, const char* what) {
    if (n > m_size - m_pos)
      fail(std::string(what) + " needs " + std::to_string(n) + " bytes, only " + std::to_string(m_size - m_pos) +
           " left (truncated pickle)");
  }
  uint8_t u8() {
    need(1, "opcode");
    return m_data[m_pos++];
  }
  uint64_t uintLE(int bytes, const char* what) {
    need(uint64_t(bytes), what);
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t(m_data[m_pos + size_t(i)]) << (8 * i);
    m_pos += size_t(bytes);
    return v;
  }
  std::string bytes(uint64_t n, const char* what) {
    need(n, what);
    charge(n);
    std::string s(reinterpret_cast<const char*>(m_data + m_pos), size_t(n));
    m_pos += size_t(n);
    return s;
  }
  std::string line(const char* what) {
    // GLOBAL's module and name: short identifiers ending in '\n'.
    constexpr size_t kMaxLine = 1024;
    const size_t start = m_pos;
    while (m_pos < m_size && m_data[m_pos] != '\n') {
      if (m_pos - start >= kMaxLine) fail(std::string(what) + " is longer than 1024 bytes");
      ++m_pos;
    }
    if (m_pos >= m_size) fail(std::string(what) + " has no end of line (truncated pickle)");
    std::string s(reinterpret_cast<const char*>(m_data + start), m_pos - start);
    ++m_pos;
    return s;
  }

  // ---- the tree and its bounds ----
  void charge(uint64_t n) {
    if (n > m_limits.maxBytes - m_bytes)
      fail("values would hold more than " + std::to_string(m_limits.maxBytes) + " bytes (limit)");
    m_bytes += size_t(n);
  }
  uint32_t add(PickleValue v) {
    if (m_tree.nodes.size() >= m_limits.maxNodes)
      fail("more than " + std::to_string(m_limits.maxNodes) + " values (limit)");
    charge(sizeof(PickleValue) + v.items.size() * sizeof(uint32_t));
    m_tree.nodes.push_back(std::move(v));
    return uint32_t(m_tree.nodes.size() - 1);
  }
  uint32_t add(PickleKind kind) {
    PickleValue v;
    v.kind = kind;
    return add(std::move(v));
  }
  uint32_t addInt(int64_t i) {
    PickleValue v;
    v.kind = PickleKind::Int;
    v.integer = i;
    return add(std::move(v));
  }
  uint32_t addText(PickleKind kind, std::string s) {
    PickleValue v;
    v.kind = kind;
    v.text = std::move(s);
    return add(std::move(v));
  }
  uint32_t addItems(PickleKind kind, std::vector<uint32_t> items) {
    PickleValue v;
    v.kind = kind;
    v.items = std::move(items);
    return add(std::move(v));
  }
  PickleValue& node(uint32_t i) { return m_tree.nodes[i]; }
  void appendItems(uint32_t target, const uint32_t* items, size_t n) {
    charge(n * sizeof(uint32_t));
    auto& dst = node(target).items;
    dst.insert(dst.end(), items, items + n);
  }

  // ---- stacks and memo ----
  void push(uint32_t v) {
    if (m_stack.size() >= m_limits.maxStack) fail("stack deeper than " + std::to_string(m_limits.maxStack) + " (limit)");
    m_stack.push_back(v);
  }
  uint32_t pop() {
    if (m_stack.size() <= markFloor()) fail("stack underflow");
    const uint32_t v = m_stack.back();
    m_stack.pop_back();
    return v;
  }
  uint32_t top() {
    if (m_stack.size() <= markFloor()) fail("stack underflow");
    return m_stack.back();
  }
  size_t markFloor() const { return m_marks.empty() ? 0 : m_marks.back(); }
  std::vector<uint32_t> popMark() {
    if (m_marks.empty()) fail("no MARK to pop to");
    const size_t at = m_marks.back();
    m_marks.pop_back();
    std::vector<uint32_t> items(m_stack.begin() + std::ptrdiff_t(at), m_stack.end());
    m_stack.resize(at);
    return items;
  }
  void memoPut(uint64_t key) {
    const uint32_t v = top();
    auto it = m_memo.find(key);
    if (it != m_memo.end()) {
      it->second = v;
      return;
    }
    if (m_memo.size() >= m_limits.maxMemo) fail("more than " + std::to_string(m_limits.maxMemo) + " memo entries (limit)");
    m_memo.emplace(key, v);
  }
  void memoGet(uint64_t key) {
    auto it = m_memo.find(key);
    if (it == m_memo.end()) fail("memo entry " + std::to_string(key) + " read before it was written");
    push(it->second);
  }

  const PickleValue& expect(uint32_t i, PickleKind kind, const std::string& what) {
    const PickleValue& v = node(i);
    if (v.kind != kind)
      fail(what + " must be a " + pickleKindName(kind) + ", not a " + pickleKindName(v.kind));
    return v;
  }

  uint32_t longValue(uint64_t n) {
    std::string b = bytes(n, "LONG");
    if (n <= 8) {
      uint64_t u = 0;
      for (size_t i = 0; i < n; ++i) u |= uint64_t(uint8_t(b[i])) << (8 * i);
      if (n > 0 && n < 8 && (uint8_t(b[n - 1]) & 0x80)) u |= ~uint64_t(0) << (8 * n);  // sign-extend
      int64_t s;
      std::memcpy(&s, &u, sizeof s);
      return addInt(s);
    }
    return addText(PickleKind::BigInt, std::move(b));
  }

  void setItems(uint32_t dict, const std::vector<uint32_t>& kv) {
    if (kv.size() % 2 != 0) fail("SETITEMS with an odd number of keys and values");
    expect(dict, PickleKind::Dict, "the target of SETITEM(S)");
    appendItems(dict, kv.data(), kv.size());
  }

  // A Python str (UTF-8 in the pickle) encoded as latin-1, as protocol 2 stores bytes objects.
  std::string latin1(const std::string& utf8) {
    std::string out;
    for (size_t i = 0; i < utf8.size(); ++i) {
      const uint8_t c = uint8_t(utf8[i]);
      if (c < 0x80) {
        out.push_back(char(c));
      } else if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size() && (uint8_t(utf8[i + 1]) & 0xC0) == 0x80) {
        out.push_back(char(((c & 0x03) << 6) | (uint8_t(utf8[i + 1]) & 0x3F)));
        ++i;
      } else {
        fail("_codecs.encode: the string has a character outside latin-1");
      }
    }
    return out;
  }

  uint32_t reduce(uint32_t fn, uint32_t args) {
    // Copies: adding nodes moves the arena, so no reference into it survives an add().
    const std::string global = expect(fn, PickleKind::Global, "the callable of REDUCE").text;
    const Callable c = callableFor(global);
    if (c == Callable::Refused)
      fail("calls " + global + ", which is not one of the tensor-rebuilding globals a checkpoint may use; "
           "refused (nothing in the file is executed)");
    const std::vector<uint32_t> a = expect(args, PickleKind::Tuple, "the arguments of " + global).items;
    switch (c) {
      case Callable::OrderedDict: {
        if (a.empty()) return add(PickleKind::Dict);
        // OrderedDict([(k, v), ...]), as Python 2 wrote it.
        if (a.size() != 1) fail(global + " takes at most one argument");
        const std::vector<uint32_t> pairs = node(a[0]).items;
        if (node(a[0]).kind != PickleKind::List) fail(global + ": the argument must be a list of pairs");
        std::vector<uint32_t> kv;
        for (uint32_t p : pairs) {
          const PickleValue& pair = node(p);
          if ((pair.kind != PickleKind::Tuple && pair.kind != PickleKind::List) || pair.items.size() != 2)
            fail(global + ": the argument must be a list of pairs");
          kv.push_back(pair.items[0]);
          kv.push_back(pair.items[1]);
        }
        return addItems(PickleKind::Dict, std::move(kv));
      }
      case Callable::Set:
      case Callable::Size: {
        const PickleKind want = c == Callable::Set ? PickleKind::List : PickleKind::Tuple;
        if (a.empty() && c == Callable::Set) return add(PickleKind::Set);
        if (a.size() != 1) fail(global + " takes one argument");
        std::vector<uint32_t> items = expect(a[0], want, "the argument of " + global).items;
        return addItems(c == Callable::Set ? PickleKind::Set : PickleKind::Tuple, std::move(items));
      }
      case Callable::CodecsEncode: {
        if (a.size() != 2) fail(global + " takes two arguments");
        const std::string text = expect(a[0], PickleKind::String, "the text of _codecs.encode").text;
        const std::string enc = expect(a[1], PickleKind::String, "the encoding of _codecs.encode").text;
        if (enc != "latin1" && enc != "latin-1") fail("_codecs.encode with encoding '" + enc + "' (only latin1)");
        return addText(PickleKind::Bytes, latin1(text));
      }
      case Callable::TorchRebuild:
        return addItems(PickleKind::Call, {fn, args});
      case Callable::NumpyOpaque:
        return addText(PickleKind::Opaque, global);
      case Callable::Refused:
        break;
    }
    fail("internal: unhandled callable " + global);
  }

  uint32_t newObject(uint32_t cls, uint32_t args) {
    const std::string global = expect(cls, PickleKind::Global, "the class of NEWOBJ").text;
    expect(args, PickleKind::Tuple, "the arguments of NEWOBJ");
    if (global == "collections.OrderedDict") return add(PickleKind::Dict);
    return addItems(PickleKind::Object, {cls, args});
  }

  void build(uint32_t obj, uint32_t state) {
    PickleValue& v = node(obj);
    switch (v.kind) {
      case PickleKind::Object:
      case PickleKind::Dict:    // OrderedDict's instance attributes (a state_dict's _metadata)
      case PickleKind::Call:    // a tensor with Python attributes
      case PickleKind::Opaque:  // numpy.dtype's state tuple
        v.state = state;
        return;
      default:
        fail(std::string("BUILD on a ") + pickleKindName(v.kind) + ", which has no state to set");
    }
  }

  void step(uint8_t op) {
    switch (op) {
      case 0x80: {  // PROTO
        const uint8_t proto = u8();
        if (proto > 5) fail("pickle protocol " + std::to_string(proto) + " is newer than 5");
        return;
      }
      case 0x95: {  // FRAME: a length hint for buffered readers; the opcodes follow inline.
        const uint64_t n = uintLE(8, "FRAME");
        if (n > m_size - m_pos) fail("FRAME of " + std::to_string(n) + " bytes runs past the pickle (truncated)");
        return;
      }
      case 'N': push(add(PickleKind::None)); return;
      case 0x88:
      case 0x89: {  // NEWTRUE, NEWFALSE
        const uint32_t v = add(PickleKind::Bool);
        node(v).integer = op == 0x88 ? 1 : 0;
        push(v);
        return;
      }
      case 'J': {  // BININT: signed 32-bit
        const uint32_t u = uint32_t(uintLE(4, "BININT"));
        int32_t s;
        std::memcpy(&s, &u, sizeof s);
        push(addInt(s));
        return;
      }
      case 'K': push(addInt(int64_t(uintLE(1, "BININT1")))); return;
      case 'M': push(addInt(int64_t(uintLE(2, "BININT2")))); return;
      case 0x8a: push(longValue(uintLE(1, "LONG1"))); return;
      case 0x8b: {  // LONG4: signed 32-bit length
        const uint64_t n = uintLE(4, "LONG4");
        if (n & 0x80000000u) fail("LONG4 with a negative length");
        push(longValue(n));
        return;
      }
      case 'G': {  // BINFLOAT: big-endian IEEE double
        need(8, "BINFLOAT");
        uint64_t u = 0;
        for (int i = 0; i < 8; ++i) u = (u << 8) | m_data[m_pos + size_t(i)];
        m_pos += 8;
        const uint32_t v = add(PickleKind::Float);
        std::memcpy(&node(v).real, &u, sizeof u);
        push(v);
        return;
      }
      case 'X': push(addText(PickleKind::String, bytes(uintLE(4, "BINUNICODE"), "BINUNICODE"))); return;
      case 0x8c: push(addText(PickleKind::String, bytes(uintLE(1, "SHORT_BINUNICODE"), "SHORT_BINUNICODE"))); return;
      case 0x8d: push(addText(PickleKind::String, bytes(uintLE(8, "BINUNICODE8"), "BINUNICODE8"))); return;
      case 'U': push(addText(PickleKind::String, bytes(uintLE(1, "SHORT_BINSTRING"), "SHORT_BINSTRING"))); return;
      case 'T': {  // BINSTRING: signed 32-bit length
        const uint64_t n = uintLE(4, "BINSTRING");
        if (n & 0x80000000u) fail("BINSTRING with a negative length");
        push(addText(PickleKind::String, bytes(n, "BINSTRING")));
        return;
      }
      case 'C': push(addText(PickleKind::Bytes, bytes(uintLE(1, "SHORT_BINBYTES"), "SHORT_BINBYTES"))); return;
      case 'B': push(addText(PickleKind::Bytes, bytes(uintLE(4, "BINBYTES"), "BINBYTES"))); return;
      case 0x8e: push(addText(PickleKind::Bytes, bytes(uintLE(8, "BINBYTES8"), "BINBYTES8"))); return;
      case 0x96: push(addText(PickleKind::Bytes, bytes(uintLE(8, "BYTEARRAY8"), "BYTEARRAY8"))); return;
      case ')': push(add(PickleKind::Tuple)); return;
      case ']': push(add(PickleKind::List)); return;
      case '}': push(add(PickleKind::Dict)); return;
      case 0x8f: push(add(PickleKind::Set)); return;  // EMPTY_SET
      case '(':  // MARK
        if (m_marks.size() >= m_limits.maxMarks) fail("more than " + std::to_string(m_limits.maxMarks) + " nested MARKs (limit)");
        m_marks.push_back(m_stack.size());
        return;
      case 't': push(addItems(PickleKind::Tuple, popMark())); return;
      case 'l': push(addItems(PickleKind::List, popMark())); return;
      case 0x91: push(addItems(PickleKind::Set, popMark())); return;  // FROZENSET
      case 'd': {  // DICT
        std::vector<uint32_t> kv = popMark();
        if (kv.size() % 2 != 0) fail("DICT with an odd number of keys and values");
        push(addItems(PickleKind::Dict, std::move(kv)));
        return;
      }
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1/2/3
        const size_t n = size_t(op - 0x84);
        std::vector<uint32_t> items(n);
        for (size_t i = n; i-- > 0;) items[i] = pop();
        push(addItems(PickleKind::Tuple, std::move(items)));
        return;
      }
      case 'a': {  // APPEND
        const uint32_t v = pop();
        expect(top(), PickleKind::List, "the target of APPEND");
        appendItems(top(), &v, 1);
        return;
      }
      case 'e': {  // APPENDS
        const std::vector<uint32_t> items = popMark();
        expect(top(), PickleKind::List, "the target of APPENDS");
        appendItems(top(), items.data(), items.size());
        return;
      }
      case 0x90: {  // ADDITEMS
        const std::vector<uint32_t> items = popMark();
        expect(top(), PickleKind::Set, "the target of ADDITEMS");
        appendItems(top(), items.data(), items.size());
        return;
      }
      case 's': {  // SETITEM
        const uint32_t value = pop(), key = pop();
        setItems(top(), {key, value});
        return;
      }
      case 'u': {  // SETITEMS
        const std::vector<uint32_t> kv = popMark();
        setItems(top(), kv);
        return;
      }
      case '0': pop(); return;  // POP
      case '1': popMark(); return;  // POP_MARK
      case '2': push(top()); return;  // DUP
      case 'q': memoPut(uintLE(1, "BINPUT")); return;
      case 'r': memoPut(uintLE(4, "LONG_BINPUT")); return;
      case 0x94: memoPut(m_memo.size()); return;  // MEMOIZE
      case 'h': memoGet(uintLE(1, "BINGET")); return;
      case 'j': memoGet(uintLE(4, "LONG_BINGET")); return;
      case 'c': {  // GLOBAL
        std::string module = normalizeModule(line("GLOBAL module"));
        const std::string name = line("GLOBAL name");
        push(addText(PickleKind::Global, module + "." + name));
        return;
      }
      case 0x93: {  // STACK_GLOBAL
        const uint32_t name = pop(), module = pop();
        const std::string n = expect(name, PickleKind::String, "the name of STACK_GLOBAL").text;
        const std::string m = normalizeModule(expect(module, PickleKind::String, "the module of STACK_GLOBAL").text);
        push(addText(PickleKind::Global, m + "." + n));
        return;
      }
      case 'R': {  // REDUCE
        const uint32_t args = pop(), fn = pop();
        push(reduce(fn, args));
        return;
      }
      case 0x81: {  // NEWOBJ
        const uint32_t args = pop(), cls = pop();
        push(newObject(cls, args));
        return;
      }
      case 0x92: {  // NEWOBJ_EX: keyword arguments are kept with nothing else (never used)
        const uint32_t kwargs = pop(), args = pop(), cls = pop();
        expect(kwargs, PickleKind::Dict, "the keyword arguments of NEWOBJ_EX");
        push(newObject(cls, args));
        return;
      }
      case 'b': {  // BUILD
        const uint32_t state = pop();
        build(top(), state);
        return;
      }
      case 'Q': {  // BINPERSID
        const uint32_t pid = pop();
        push(addItems(PickleKind::PersistentId, {pid}));
        return;
      }
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", unsigned(op));
        fail(std::string("opcode ") + hex + " is not supported by the restricted reader");
      }
    }
  }

  const uint8_t* m_data;
  size_t m_size;
  const PickleLimits& m_limits;
  size_t m_pos = 0;
  size_t m_opAt = 0;
  size_t m_bytes = 0;
  PickleTree m_tree;
  std::vector<uint32_t> m_stack;
  std::vector<size_t> m_marks;
  std::unordered_map<uint64_t, uint32_t> m_memo;
};

}  // namespace

const char* pickleKindName(PickleKind kind) {
  switch (kind) {
    case PickleKind::Invalid: return "invalid value";
    case PickleKind::None: return "None";
    case PickleKind::Bool: return "bool";
    case PickleKind::Int: return "int";
    case PickleKind::BigInt: return "big int";
    case PickleKind::Float: return "float";
    case PickleKind::String: return "str";
    case PickleKind::Bytes: return "bytes";
    case PickleKind::Tuple: return "tuple";
    case PickleKind::List: return "list";
    case PickleKind::Dict: return "dict";
    case PickleKind::Set: return "set";
    case PickleKind::Global: return "global";
    case PickleKind::Object: return "object";
    case PickleKind::Call: return "tensor";
    case PickleKind::PersistentId: return "persistent id";
    case PickleKind::Opaque: return "opaque value";
  }
  return "unknown value";
}

uint32_t PickleTree::dictGet(uint32_t dict, const std::string& key) const {
  const PickleValue& d = at(dict);
  if (d.kind != PickleKind::Dict) return PickleValue::kNone;
  for (size_t i = d.items.size(); i >= 2; i -= 2) {
    const PickleValue& k = at(d.items[i - 2]);
    if (k.kind == PickleKind::String && k.text == key) return d.items[i - 1];
  }
  return PickleValue::kNone;
}

Result<PickleTree> PickleMachine::run(const uint8_t* data, size_t size, const std::string& nameForErrors) const {
  Interpreter interpreter(data, size, m_limits);
  try {
    return interpreter.run();
  } catch (const PickleFailure& f) {
    return makeError(ErrorKind::BadInput,
                     nameForErrors + ": at byte " + std::to_string(interpreter.opOffset()) + ": " + f.what);
  } catch (const std::bad_alloc&) {
    return makeError(ErrorKind::BadInput, nameForErrors + ": out of memory while reading the pickle");
  }
}

}  // namespace ns
