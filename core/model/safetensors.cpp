#include "core/model/safetensors.h"

#include <ATen/ATen.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "core/util/mapped_file.h"

namespace ns {

namespace {

static_assert(sizeof(void*) == 8, "safetensors offsets need 64-bit size_t");
// The format is little-endian; so is every platform we build for (x86-64, aarch64). A big-endian
// port would have to byte-swap here.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.cpp assumes a little-endian host"
#endif

// A header bigger than this is not a real model file (the reference implementation uses 100 MB).
constexpr uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

struct DtypeInfo {
  const char* name;
  at::ScalarType type;
  size_t bytes;
};
const DtypeInfo kDtypes[] = {
    {"F16", at::kHalf, 2},  {"BF16", at::kBFloat16, 2}, {"F32", at::kFloat, 4}, {"F64", at::kDouble, 8},
    {"I64", at::kLong, 8},  {"I32", at::kInt, 4},        {"I16", at::kShort, 2}, {"I8", at::kChar, 1},
    {"U8", at::kByte, 1},   {"BOOL", at::kBool, 1},
};

const DtypeInfo* dtypeByName(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return &d;
  return nullptr;
}
const DtypeInfo* dtypeByType(at::ScalarType t) {
  for (const auto& d : kDtypes)
    if (t == d.type) return &d;
  return nullptr;
}

Error bad(const std::string& file, const std::string& what) {
  return makeError(ErrorKind::BadInput, file + ": " + what);
}
Error badTensor(const std::string& file, const std::string& name, const std::string& what) {
  return makeError(ErrorKind::BadInput, file + ": tensor '" + name + "': " + what);
}

std::string shapeString(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

struct Entry {
  std::string name;
  const DtypeInfo* dtype = nullptr;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

// Validates one header entry; on success fills `e`.
Result<void> parseEntry(const std::string& file, const std::string& name, const nlohmann::json& v,
                        uint64_t dataBytes, Entry& e) {
  e.name = name;
  if (!v.is_object()) return badTensor(file, name, "header entry is not a JSON object");
  auto dt = v.find("dtype");
  if (dt == v.end() || !dt->is_string()) return badTensor(file, name, "missing string field 'dtype'");
  e.dtype = dtypeByName(dt->get<std::string>());
  if (!e.dtype) return badTensor(file, name, "unknown dtype '" + dt->get<std::string>() + "'");
  auto sh = v.find("shape");
  if (sh == v.end() || !sh->is_array()) return badTensor(file, name, "missing array field 'shape'");
  uint64_t elements = 1;
  for (const auto& d : *sh) {
    if (!d.is_number_integer()) return badTensor(file, name, "shape holds a non-integer");
    const int64_t n = d.get<int64_t>();
    if (n < 0) return badTensor(file, name, "negative dimension " + std::to_string(n) + " in shape");
    e.shape.push_back(n);
    if (n != 0 && elements > std::numeric_limits<uint64_t>::max() / uint64_t(n))
      return badTensor(file, name, "shape " + shapeString(e.shape) + " overflows");
    elements *= uint64_t(n);
  }
  auto off = v.find("data_offsets");
  if (off == v.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_integer() ||
      !(*off)[1].is_number_integer())
    return badTensor(file, name, "'data_offsets' must be two integers");
  const int64_t b = (*off)[0].get<int64_t>(), en = (*off)[1].get<int64_t>();
  if (b < 0 || en < b)
    return badTensor(file, name, "invalid data_offsets [" + std::to_string(b) + "," + std::to_string(en) + "]");
  e.begin = uint64_t(b);
  e.end = uint64_t(en);
  if (e.end > dataBytes)
    return badTensor(file, name, "data_offsets end " + std::to_string(e.end) + " is past the end of the data (" +
                                     std::to_string(dataBytes) + " bytes; truncated file?)");
  if (elements > std::numeric_limits<uint64_t>::max() / e.dtype->bytes)
    return badTensor(file, name, "shape " + shapeString(e.shape) + " overflows");
  const uint64_t want = elements * e.dtype->bytes;
  if (want != e.end - e.begin)
    return badTensor(file, name, "shape " + shapeString(e.shape) + " of " + e.dtype->name + " needs " +
                                     std::to_string(want) + " bytes but data_offsets span " +
                                     std::to_string(e.end - e.begin));
  return {};
}


// The validated table of contents: every entry checked against the data size, no overlaps.
struct Layout {
  std::vector<Entry> entries;
  std::map<std::string, std::string> metadata;
  uint64_t dataStart = 0;  // offset of the first data byte in the file
};

Result<Layout> parseLayout(const char* bytes, uint64_t size, const std::string& file) {
  if (size < 8)
    return bad(file, "file is " + std::to_string(size) + " bytes, too short for a safetensors header");
  uint64_t headerLen = 0;
  std::memcpy(&headerLen, bytes, 8);
  const uint64_t avail = size - 8;
  if (headerLen > kMaxHeaderBytes)
    return bad(file, "header length " + std::to_string(headerLen) + " is absurd (limit " +
                         std::to_string(kMaxHeaderBytes) + "); not a safetensors file?");
  if (headerLen > avail)
    return bad(file, "header length " + std::to_string(headerLen) + " is past the end of the file (" +
                         std::to_string(avail) + " bytes follow; truncated file?)");
  nlohmann::json header = nlohmann::json::parse(bytes + 8, bytes + 8 + headerLen, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) return bad(file, "header is not valid JSON");
  if (!header.is_object()) return bad(file, "header JSON is not an object");

  Layout out;
  out.dataStart = 8 + headerLen;
  const uint64_t dataBytes = avail - headerLen;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) return bad(file, "'__metadata__' is not a JSON object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) return bad(file, "metadata value '" + m.key() + "' is not a string");
        out.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    Entry e;
    auto ok = parseEntry(file, it.key(), *it, dataBytes, e);
    if (!ok) return ok.error();
    out.entries.push_back(std::move(e));
  }
  // Overlapping ranges mean a corrupt or malicious file (two tensors aliasing the same bytes).
  std::vector<const Entry*> byOffset;
  for (const auto& e : out.entries) byOffset.push_back(&e);
  std::sort(byOffset.begin(), byOffset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  for (size_t i = 1; i < byOffset.size(); ++i) {
    if (byOffset[i]->begin < byOffset[i - 1]->end)
      return badTensor(file, byOffset[i]->name, "data_offsets overlap tensor '" + byOffset[i - 1]->name + "'");
  }
  const char* data = bytes + out.dataStart;
  for (const auto& e : out.entries) {
    if (e.dtype->type != at::kBool) continue;
    // Bytes other than 0/1 are undefined behaviour for bool tensors.
    const uint8_t* p = reinterpret_cast<const uint8_t*>(data + e.begin);
    for (uint64_t i = 0; i < e.end - e.begin; ++i)
      if (p[i] > 1) return badTensor(file, e.name, "BOOL tensor holds byte value " + std::to_string(p[i]));
  }
  return out;
}

}  // namespace

Result<SafetensorsFile> parseSafetensors(const std::string& bytes, const std::string& file) {
  auto layout = parseLayout(bytes.data(), bytes.size(), file);
  if (!layout.ok()) return layout.error();
  SafetensorsFile out;
  out.metadata = std::move(layout->metadata);
  const char* data = bytes.data() + layout->dataStart;
  for (const auto& e : layout->entries) {
    at::Tensor t = at::empty(e.shape, at::TensorOptions().dtype(e.dtype->type));
    if (e.end > e.begin) std::memcpy(t.data_ptr(), data + e.begin, e.end - e.begin);
    out.tensors.emplace(e.name, std::move(t));
  }
  return out;
}

Result<SafetensorsFile> mapSafetensors(const std::string& path) {
  auto file = MappedFile::open(path);
  if (!file.ok()) return file.error();
  std::shared_ptr<MappedFile> map = std::move(*file);
  if (map->size() == 0) return bad(path, "file is 0 bytes, too short for a safetensors header");
  auto layout = parseLayout(map->data(), map->size(), path);
  if (!layout.ok()) return layout.error();
  SafetensorsFile out;
  out.metadata = std::move(layout->metadata);
  char* data = map->data() + layout->dataStart;
  for (const auto& e : layout->entries) {
    char* p = data + e.begin;
    at::Tensor t;
    if (e.end == e.begin || reinterpret_cast<uintptr_t>(p) % e.dtype->bytes != 0) {
      // Empty or misaligned for its element type (legal in the format, rare in practice): own a copy.
      t = at::empty(e.shape, at::TensorOptions().dtype(e.dtype->type));
      if (e.end > e.begin) std::memcpy(t.data_ptr(), p, e.end - e.begin);
    } else {
      // The deleter holds the mapping: it lives as long as any tensor viewing it.
      t = at::from_blob(p, e.shape, [map](void*) {}, at::TensorOptions().dtype(e.dtype->type));
    }
    out.tensors.emplace(e.name, std::move(t));
  }
  return out;
}

Result<SafetensorsFile> readSafetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(ErrorKind::Io, path + ": cannot open file (" + std::strerror(errno) + ")");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return makeError(ErrorKind::Io, path + ": read error");
  return parseSafetensors(ss.str(), path);
}

Result<std::string> serializeSafetensors(const std::map<std::string, at::Tensor>& tensors,
                                         const std::map<std::string, std::string>& metadata) {
  struct Item {
    const std::string* name;
    const DtypeInfo* dtype;
    at::Tensor tensor;
  };
  std::vector<Item> items;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__") return makeError(ErrorKind::BadInput, "tensor name '__metadata__' is reserved");
    if (!tensor.defined()) return makeError(ErrorKind::BadInput, "tensor '" + name + "' is undefined");
    const DtypeInfo* d = dtypeByType(tensor.scalar_type());
    if (!d)
      return makeError(ErrorKind::BadInput, "tensor '" + name + "' has dtype " +
                                                std::string(c10::toString(tensor.scalar_type())) +
                                                ", which safetensors cannot store");
    items.push_back({&name, d, tensor.detach().to(at::kCPU).contiguous()});
  }
  // Data order of the reference writer: dtype (I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL),
  // then name. Wider types first keeps every tensor aligned to its element size, and files come
  // out byte-identical in their data section to Python's safetensors.
  auto order = [](const Item& i) {
    static const char* const kOrder[] = {"I64", "F64", "F32", "I32", "BF16", "F16", "I16", "I8", "U8", "BOOL"};
    for (int k = 0; k < 10; ++k)
      if (std::strcmp(i.dtype->name, kOrder[k]) == 0) return k;
    return 10;
  };
  std::stable_sort(items.begin(), items.end(),
                   [&order](const Item& a, const Item& b) { return order(a) < order(b); });
  nlohmann::json header = nlohmann::json::object();
  std::vector<at::Tensor> contiguous;
  uint64_t offset = 0;
  for (auto& item : items) {
    const uint64_t n = uint64_t(item.tensor.numel()) * item.dtype->bytes;
    header[*item.name] = {{"dtype", item.dtype->name},
                          {"shape", item.tensor.sizes().vec()},
                          {"data_offsets", {offset, offset + n}}};
    offset += n;
    contiguous.push_back(std::move(item.tensor));
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string json = header.dump();
  // Pad with spaces so the data starts 8-byte aligned (what the reference writer does).
  while ((json.size() + 8) % 8 != 0) json.push_back(' ');
  std::string out;
  out.reserve(8 + json.size() + offset);
  const uint64_t len = json.size();
  out.append(reinterpret_cast<const char*>(&len), 8);
  out += json;
  for (const auto& t : contiguous)
    out.append(static_cast<const char*>(t.data_ptr()), size_t(t.numel()) * t.element_size());
  return out;
}

Result<void> writeSafetensors(const std::string& path, const std::map<std::string, at::Tensor>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  auto bytes = serializeSafetensors(tensors, metadata);
  if (!bytes) return makeError(bytes.error().kind, path + ": " + bytes.error().message);
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return makeError(ErrorKind::Io, tmp + ": cannot create file (" + std::strerror(errno) + ")");
  const std::string& b = bytes.value();
  size_t done = 0;
  while (done < b.size()) {
    const ssize_t w = ::write(fd, b.data() + done, b.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return makeError(ErrorKind::Io, tmp + ": write failed (" + why + ")");
    }
    done += size_t(w);
  }
  // fsync before rename: otherwise a crash can leave the new name pointing at an empty file.
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return makeError(ErrorKind::Io, tmp + ": fsync/close failed (" + why + ")");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return makeError(ErrorKind::Io, path + ": cannot rename temporary file into place (" + why + ")");
  }
  return {};
}

}  // namespace ns
