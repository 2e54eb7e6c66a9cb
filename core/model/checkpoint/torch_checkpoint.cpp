#include "core/model/checkpoint/torch_checkpoint.h"

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "core/model/checkpoint/pickle_machine.h"
#include "core/model/checkpoint/zip_archive.h"
#include "core/util/mapped_file.h"

namespace ns {
namespace {

// The checkpoint's bytes and whatever keeps them alive (the mapping, or an owned copy); every
// tensor viewing them holds `owner`.
struct Source {
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::shared_ptr<const void> owner;
};

// Thrown inside Rebuilder only; decode() turns it into the Result.
struct CheckpointFailure {
  std::string what;
};
[[noreturn]] void fail(std::string what) { throw CheckpointFailure{std::move(what)}; }

constexpr int kMaxDictDepth = 32;
constexpr size_t kMaxDims = 64;

// torch.<T>Storage as the persistent id names it -> the dtype of its elements.
bool storageDtype(std::string type, at::ScalarType& out) {
  if (type.rfind("torch.cuda.", 0) == 0) type = "torch." + type.substr(11);  // saved from a GPU: same bytes
  static const std::pair<const char*, at::ScalarType> kTypes[] = {
      {"torch.FloatStorage", at::kFloat},   {"torch.HalfStorage", at::kHalf},   {"torch.BFloat16Storage", at::kBFloat16},
      {"torch.DoubleStorage", at::kDouble}, {"torch.LongStorage", at::kLong},   {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort},   {"torch.CharStorage", at::kChar},   {"torch.ByteStorage", at::kByte},
      {"torch.BoolStorage", at::kBool},     {"torch.UntypedStorage", at::kByte}};
  for (const auto& [name, dtype] : kTypes) {
    if (type == name) {
      out = dtype;
      return true;
    }
  }
  return false;
}

// a * b, or false when it does not fit in int64.
bool mulFits(int64_t a, int64_t b, int64_t& out) {
  if (a != 0 && b > std::numeric_limits<int64_t>::max() / a) return false;
  out = a * b;
  return true;
}

// Turns the pickle tree into named tensors (see the flattening rule in the header).
class Rebuilder {
 public:
  Rebuilder(const Source& src, const ZipArchive& zip, std::string root, const PickleTree& tree)
      : m_src(src), m_zip(zip), m_root(std::move(root)), m_tree(tree),
        m_onPath(tree.nodes.size(), false),
        m_copyBudget(uint64_t(src.size) * 4 + (uint64_t(64) << 20)),
        m_visitBudget(tree.nodes.size() * 4 + 1024) {}

  sd::WeightMap flatten() {
    uint32_t root = m_tree.root;
    const PickleValue& top = m_tree.at(root);
    if (top.kind == PickleKind::Call) fail("holds a single tensor, not a dict of named tensors");
    if (top.kind != PickleKind::Dict)
      fail(std::string("the top-level value is a ") + pickleKindName(top.kind) + ", not a dict of tensors");
    const uint32_t stateDict = m_tree.dictGet(root, "state_dict");
    if (stateDict != PickleValue::kNone && m_tree.at(stateDict).kind == PickleKind::Dict) root = stateDict;
    sd::WeightMap out;
    walk(root, "", 0, out);
    if (out.empty()) fail("contains no tensors");
    return out;
  }

  size_t storageCount() const { return m_storages.size(); }

 private:
  void walk(uint32_t dict, const std::string& prefix, int depth, sd::WeightMap& out) {
    if (depth > kMaxDictDepth) fail("dicts nested deeper than " + std::to_string(kMaxDictDepth) + " at '" + prefix + "'");
    if (m_onPath[dict]) return;  // a dict that contains itself: its names were already produced
    m_onPath[dict] = true;
    const std::vector<uint32_t>& kv = m_tree.at(dict).items;
    for (size_t i = 0; i + 1 < kv.size(); i += 2) {
      if (m_visitBudget-- == 0) fail("dicts refer to each other too often (more names than the file could hold)");
      const PickleValue& key = m_tree.at(kv[i]);
      const PickleValue& value = m_tree.at(kv[i + 1]);
      if (key.kind != PickleKind::String) continue;  // e.g. Lightning's callbacks keyed by class
      const std::string name = prefix + key.text;
      if (value.kind == PickleKind::Call) {
        at::Tensor t = tensorAt(kv[i + 1], name, 0);
        if (!out.emplace(name, std::move(t)).second) fail("tensor '" + name + "' appears twice");
      } else if (value.kind == PickleKind::Dict) {
        walk(kv[i + 1], name + ".", depth + 1, out);
      }
    }
    m_onPath[dict] = false;
  }

  const PickleValue& arg(const std::vector<uint32_t>& args, size_t i, PickleKind kind, const std::string& name,
                         const char* what) {
    const PickleValue& v = m_tree.at(args[i]);
    if (v.kind != kind)
      fail("tensor '" + name + "': " + what + " must be a " + pickleKindName(kind) + ", not a " + pickleKindName(v.kind));
    return v;
  }

  std::vector<int64_t> intTuple(const PickleValue& tuple, const std::string& name, const char* what) {
    if (tuple.items.size() > kMaxDims)
      fail("tensor '" + name + "': " + what + " has " + std::to_string(tuple.items.size()) + " dimensions (at most 64)");
    std::vector<int64_t> out;
    for (uint32_t i : tuple.items) {
      const PickleValue& v = m_tree.at(i);
      if (v.kind != PickleKind::Int || v.integer < 0) fail("tensor '" + name + "': " + what + " must hold integers >= 0");
      out.push_back(v.integer);
    }
    return out;
  }

  at::Tensor tensorAt(uint32_t call, const std::string& name, int depth) {
    auto cached = m_tensors.find(call);
    if (cached != m_tensors.end()) return cached->second;
    const PickleValue& c = m_tree.at(call);
    const std::string& fn = m_tree.at(c.items[0]).text;
    const std::vector<uint32_t>& args = m_tree.at(c.items[1]).items;
    at::Tensor t;
    if (fn == "torch._utils._rebuild_parameter" || fn == "torch._utils._rebuild_parameter_with_state") {
      // nn.Parameter(data, requires_grad, hooks[, state]): the data is the tensor we want.
      const size_t want = fn == "torch._utils._rebuild_parameter" ? 3 : 4;
      if (args.size() != want) fail("tensor '" + name + "': " + fn + " takes " + std::to_string(want) + " arguments");
      if (depth > 0) fail("tensor '" + name + "': a parameter wraps another parameter");
      arg(args, 0, PickleKind::Call, name, "the data of a parameter");
      t = tensorAt(args[0], name, depth + 1);
    } else {
      t = rebuildTensor(args, name);
    }
    m_tensors.emplace(call, t);
    return t;
  }

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  at::Tensor rebuildTensor(const std::vector<uint32_t>& args, const std::string& name) {
    if (args.size() != 6 && args.size() != 7)
      fail("tensor '" + name + "': _rebuild_tensor_v2 takes 6 or 7 arguments, not " + std::to_string(args.size()));
    const PickleValue& pid = arg(args, 0, PickleKind::PersistentId, name, "the storage");
    const PickleValue& offsetValue = arg(args, 1, PickleKind::Int, name, "the storage offset");
    const std::vector<int64_t> sizes = intTuple(arg(args, 2, PickleKind::Tuple, name, "the size"), name, "the size");
    const std::vector<int64_t> strides = intTuple(arg(args, 3, PickleKind::Tuple, name, "the stride"), name, "the stride");
    if (sizes.size() != strides.size())
      fail("tensor '" + name + "': size has " + std::to_string(sizes.size()) + " dimensions, stride " +
           std::to_string(strides.size()));
    const int64_t offset = offsetValue.integer;
    if (offset < 0) fail("tensor '" + name + "': negative storage offset");
    const at::Tensor storage = storageFor(pid, name);
    const int64_t storageNumel = storage.numel();

    // Bounds: every element the view can address lies inside the storage.
    int64_t numel = 1, last = offset;
    for (size_t d = 0; d < sizes.size(); ++d) {
      if (!mulFits(numel, sizes[d], numel)) fail("tensor '" + name + "': element count overflows");
      int64_t reach = 0;
      if (sizes[d] > 0 && (!mulFits(sizes[d] - 1, strides[d], reach) || reach > std::numeric_limits<int64_t>::max() - last))
        fail("tensor '" + name + "': strides overflow");
      last += reach;
    }
    if (numel == 0) {
      if (offset > storageNumel) fail("tensor '" + name + "': storage offset is past its storage");
      return at::empty(sizes, storage.options());
    }
    if (last >= storageNumel)
      fail("tensor '" + name + "': size/stride/offset reach element " + std::to_string(last) + " of a storage of " +
           std::to_string(storageNumel) + " elements");
    at::Tensor view = storage.as_strided(sizes, strides, offset);
    if (view.is_contiguous()) return view;
    // A saved transpose or expand: one contiguous copy, within the copy budget.
    chargeCopy(uint64_t(numel) * uint64_t(storage.element_size()), name);
    return view.contiguous();
  }

  void chargeCopy(uint64_t bytes, const std::string& name) {
    if (bytes > m_copyBudget)
      fail("tensor '" + name + "': copying non-contiguous or misaligned tensors would take more than 4x the file size");
    m_copyBudget -= bytes;
  }

  // The persistent id ('storage', torch.<T>Storage, key, location, numel) -> a 1-D tensor of its entry.
  at::Tensor storageFor(const PickleValue& pid, const std::string& name) {
    const PickleValue& id = m_tree.at(pid.items.at(0));
    if (id.kind != PickleKind::Tuple || id.items.size() != 5)
      fail("tensor '" + name + "': its storage reference is not a ('storage', type, key, location, size) tuple");
    const std::vector<uint32_t>& f = id.items;
    if (arg(f, 0, PickleKind::String, name, "the storage tag").text != "storage")
      fail("tensor '" + name + "': persistent id tag '" + m_tree.at(f[0]).text + "' is not 'storage'");
    const std::string& type = arg(f, 1, PickleKind::Global, name, "the storage type").text;
    at::ScalarType dtype;
    if (!storageDtype(type, dtype)) fail("tensor '" + name + "': storage type " + type + " is not supported");
    const std::string& key = arg(f, 2, PickleKind::String, name, "the storage key").text;
    arg(f, 3, PickleKind::String, name, "the storage location");
    const int64_t numel = arg(f, 4, PickleKind::Int, name, "the storage size").integer;
    if (numel < 0) fail("tensor '" + name + "': storage '" + key + "' has a negative size");

    auto cached = m_storages.find(key);
    if (cached != m_storages.end()) {
      if (cached->second.scalar_type() != dtype || cached->second.numel() != numel)
        fail("tensor '" + name + "': storage '" + key + "' is used with two different types or sizes");
      return cached->second;
    }
    const std::string entryName = m_root + "/data/" + key;
    const ZipEntry* entry = m_zip.find(entryName);
    if (!entry) fail("tensor '" + name + "': its storage entry '" + entryName + "' is not in the archive");
    const uint64_t elem = uint64_t(c10::elementSize(dtype));
    if (uint64_t(numel) > entry->size / elem)
      fail("tensor '" + name + "': storage '" + entryName + "' should hold " + std::to_string(numel) + " elements of " +
           std::to_string(elem) + " bytes but has " + std::to_string(entry->size) + " bytes");
    const auto options = at::TensorOptions().dtype(dtype);
    const uint8_t* p = m_src.data + entry->dataOffset;
    at::Tensor storage;
    if (numel == 0) {
      storage = at::empty({0}, options);
    } else if (reinterpret_cast<uintptr_t>(p) % elem != 0) {
      // torch aligns entries to 64 bytes; another writer may not. A misaligned view would be UB.
      chargeCopy(uint64_t(numel) * elem, name);
      storage = at::empty({numel}, options);
      std::memcpy(storage.data_ptr(), p, size_t(numel) * size_t(elem));
    } else {
      // The deleter holds the source: the bytes live as long as any tensor viewing them.
      std::shared_ptr<const void> owner = m_src.owner;
      storage = at::from_blob(const_cast<uint8_t*>(p), {numel}, [owner](void*) {}, options);
    }
    m_storages.emplace(key, storage);
    return storage;
  }

  const Source& m_src;
  const ZipArchive& m_zip;
  const std::string m_root;
  const PickleTree& m_tree;
  std::vector<bool> m_onPath;  // dicts on the current walk (cycles)
  uint64_t m_copyBudget;       // bytes of contiguous copies still allowed
  size_t m_visitBudget;        // dict entries still allowed to be visited (shared dicts multiply)
  std::map<std::string, at::Tensor> m_storages;  // storage key -> 1-D tensor over its bytes
  std::map<uint32_t, at::Tensor> m_tensors;      // rebuild call node -> its tensor (shared references)
};

Error bad(const std::string& file, const std::string& what) { return makeError(ErrorKind::BadInput, file + ": " + what); }

Result<sd::WeightMap> decode(const Source& src, const std::string& file) {
  // Pre-1.6 torch.save: a bare pickle stream (magic number first), or the older tar layout.
  if (src.size >= 2 && src.data[0] == 0x80 && src.data[1] <= 5)
    return bad(file, "legacy (pre-1.6, non-zip) torch format is not supported; re-save it with torch >= 1.6 "
                     "(torch.save(torch.load(f), f))");
  if (src.size >= 262 && std::memcmp(src.data + 257, "ustar", 5) == 0)
    return bad(file, "legacy tar torch format is not supported; re-save it with torch >= 1.6");
  auto zip = ZipArchive::open(src.data, src.size, file);
  if (!zip.ok()) return zip.error();

  // <root>/data.pkl: one folder level, the root named by the writer (the file stem or "archive").
  const ZipEntry* pkl = nullptr;
  bool torchScript = false;
  for (const ZipEntry& e : zip->entries()) {
    const size_t slash = e.name.find('/');
    const std::string rest = slash == std::string::npos ? "" : e.name.substr(slash + 1);
    if (rest == "constants.pkl" || rest.rfind("code/", 0) == 0) torchScript = true;
    if (rest != "data.pkl") continue;
    if (pkl) return bad(file, "two pickles ('" + pkl->name + "', '" + e.name + "'): not a torch.save checkpoint");
    pkl = &e;
  }
  if (torchScript)
    return bad(file, "is a TorchScript archive (torch.jit.save), not a torch.save checkpoint; load it as a "
                     "TorchScript pack, or save the state dict with torch.save");
  if (!pkl) return bad(file, "zip archive has no <root>/data.pkl entry: not a torch.save checkpoint");
  const std::string root = pkl->name.substr(0, pkl->name.find('/'));
  if (const ZipEntry* order = zip->find(root + "/byteorder")) {
    const std::string value(reinterpret_cast<const char*>(src.data + order->dataOffset), size_t(order->size));
    if (value != "little")
      return bad(file, "'" + order->name + "' says '" + value.substr(0, 16) + "'; only little-endian checkpoints are read");
  }

  PickleMachine machine;
  auto tree = machine.run(src.data + pkl->dataOffset, size_t(pkl->size), file + ": " + pkl->name);
  if (!tree.ok()) return tree.error();
  try {
    Rebuilder rebuilder(src, *zip, root, *tree);
    sd::WeightMap out = rebuilder.flatten();
    spdlog::debug("{}: {} tensors from {} storages", file, out.size(), rebuilder.storageCount());
    return out;
  } catch (const CheckpointFailure& f) {
    return bad(file, f.what);
  } catch (const c10::Error& e) {
    return bad(file, std::string("rebuilding a tensor failed: ") + e.what_without_backtrace());
  } catch (const std::bad_alloc&) {
    return bad(file, "out of memory while rebuilding tensors");
  }
}

}  // namespace

Result<sd::WeightMap> readTorchCheckpoint(const std::string& path) {
  // MAP_PRIVATE + PROT_WRITE (MappedFile): tensors are writable views, and a write never reaches the file.
  auto file = MappedFile::open(path);
  if (!file.ok()) return file.error();
  std::shared_ptr<MappedFile> map = std::move(*file);
  if (map->size() == 0) return bad(path, "file is empty");
  Source src{reinterpret_cast<const uint8_t*>(map->data()), map->size(), map};
  return decode(src, path);
}

Result<sd::WeightMap> parseTorchCheckpoint(const std::string& bytes, const std::string& nameForErrors) {
  auto owned = std::make_shared<std::string>(bytes);
  Source src{reinterpret_cast<const uint8_t*>(owned->data()), owned->size(), owned};
  return decode(src, nameForErrors);
}

}  // namespace ns
