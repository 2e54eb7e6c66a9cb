// Tests core/model/checkpoint (torch_checkpoint.h, pickle_machine.h, zip_archive.h): torch.save files
// written by Debian's torch (tests/data/ckpt/, made by tools/make_ckpt_fixtures.py) are read with the
// exact values the script also wrote into companion .safetensors files; hostile and broken files
// (os.system in the pickle, a missing storage, every truncation, compressed entries, out-of-bounds
// views, absurd sizes, cycles) are refused with the file and the entry/global named. Small pickles and
// zips for the broken cases are built byte by byte here.
#include "tests/support/ns_test.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "core/model/checkpoint/pickle_machine.h"
#include "core/model/checkpoint/torch_checkpoint.h"
#include "core/model/checkpoint/zip_archive.h"
#include "core/model/safetensors.h"

namespace {

std::string fixture(const std::string& name) { return nstest::dataDir() + "/ckpt/" + name; }

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

bool sameBytes(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor x = a.contiguous(), y = b.contiguous();
  return x.nbytes() == y.nbytes() && (x.nbytes() == 0 || std::memcmp(x.data_ptr(), y.data_ptr(), x.nbytes()) == 0);
}

// Every tensor of `got` has the dtype, shape and bytes of the same name in the companion
// .safetensors, and the names are the same. Returns "" or what differs.
std::string compareWithExpected(const ns::sd::WeightMap& got, const std::string& safetensorsName) {
  auto want = ns::readSafetensors(fixture(safetensorsName));
  if (!want.ok()) return want.error().message;
  std::string diff;
  for (const auto& [name, t] : want->tensors) {
    auto it = got.find(name);
    if (it == got.end()) {
      diff += "missing " + name + "; ";
      continue;
    }
    if (it->second.scalar_type() != t.scalar_type()) diff += name + ": dtype differs; ";
    else if (!it->second.sizes().equals(t.sizes())) diff += name + ": shape differs; ";
    else if (!sameBytes(it->second, t)) diff += name + ": values differ; ";
  }
  for (const auto& [name, t] : got)
    if (!want->tensors.count(name)) diff += "unexpected " + name + "; ";
  return diff;
}

// ---- building small broken files ----
void le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(char((v >> (8 * i)) & 0xFF));
}

struct ZipItem {
  std::string name, data;
  uint16_t method = 0, flags = 0;
};

// How makeZip writes sizes: plainly, or the zip64 way torch's writer (miniz) does for files past 4 GiB
// (0xFFFFFFFF in the central entry, the values in a zip64 extra field, a zip64 end record + locator),
// or zip64 with one piece missing.
enum class Zip64 { None, Full, NoExtra, ShortExtra, NoRecord };

// A zip (no descriptors) of the items.
std::string makeZip(const std::vector<ZipItem>& items, Zip64 z64 = Zip64::None) {
  std::string out, central;
  const bool big = z64 != Zip64::None;
  for (const auto& it : items) {
    const uint64_t at = out.size();
    le(out, 0x04034b50, 4); le(out, 20, 2); le(out, it.flags, 2); le(out, it.method, 2); le(out, 0, 4);
    le(out, 0, 4); le(out, it.data.size(), 4); le(out, it.data.size(), 4); le(out, it.name.size(), 2); le(out, 0, 2);
    out += it.name + it.data;
    std::string extra;
    if (z64 == Zip64::Full || z64 == Zip64::NoRecord) {
      le(extra, 0x0001, 2); le(extra, 24, 2); le(extra, it.data.size(), 8); le(extra, it.data.size(), 8); le(extra, at, 8);
    } else if (z64 == Zip64::ShortExtra) {
      le(extra, 0x0001, 2); le(extra, 8, 2); le(extra, it.data.size(), 8);
    }
    const uint64_t size32 = big ? 0xFFFFFFFF : it.data.size(), at32 = big ? 0xFFFFFFFF : at;
    le(central, 0x02014b50, 4); le(central, 45, 2); le(central, 45, 2); le(central, it.flags, 2); le(central, it.method, 2);
    le(central, 0, 4); le(central, 0, 4); le(central, size32, 4); le(central, size32, 4);
    le(central, it.name.size(), 2); le(central, extra.size(), 2); le(central, 0, 2); le(central, 0, 2); le(central, 0, 2);
    le(central, 0, 4); le(central, at32, 4);
    central += it.name + extra;
  }
  const uint64_t cdAt = out.size();
  out += central;
  if (big && z64 != Zip64::NoRecord) {
    const uint64_t recordAt = out.size();
    le(out, 0x06064b50, 4); le(out, 44, 8); le(out, 45, 2); le(out, 45, 2); le(out, 0, 4); le(out, 0, 4);
    le(out, items.size(), 8); le(out, items.size(), 8); le(out, central.size(), 8); le(out, cdAt, 8);
    le(out, 0x07064b50, 4); le(out, 0, 4); le(out, recordAt, 8); le(out, 1, 4);
  }
  le(out, 0x06054b50, 4); le(out, 0, 2); le(out, 0, 2);
  le(out, big ? 0xFFFF : items.size(), 2); le(out, big ? 0xFFFF : items.size(), 2);
  le(out, big ? 0xFFFFFFFF : central.size(), 4); le(out, big ? 0xFFFFFFFF : cdAt, 4); le(out, 0, 2);
  return out;
}

// Pickle opcodes, written the way torch.save's protocol 2 pickler does.
struct Pickle {
  std::string b = "\x80\x02";
  Pickle& op(char c) { b.push_back(c); return *this; }
  Pickle& byte(uint8_t v) { b.push_back(char(v)); return *this; }
  Pickle& str(const std::string& s) { b.push_back('X'); le(b, s.size(), 4); b += s; return *this; }
  Pickle& integer(int32_t v) { b.push_back('J'); le(b, uint32_t(v), 4); return *this; }
  Pickle& global(const std::string& module, const std::string& name) { b += "c" + module + "\n" + name + "\n"; return *this; }
  Pickle& ints(const std::vector<int64_t>& v) {
    op('(');
    for (int64_t x : v) integer(int32_t(x));
    return op('t');
  }
  // _rebuild_tensor_v2(('storage', FloatStorage, key, 'cpu', numel), offset, sizes, strides, False, OrderedDict())
  Pickle& tensor(const std::string& key, int64_t numel, int64_t offset, const std::vector<int64_t>& sizes,
                 const std::vector<int64_t>& strides) {
    global("torch._utils", "_rebuild_tensor_v2").op('(');
    op('(').str("storage").global("torch", "FloatStorage").str(key).str("cpu").integer(int32_t(numel)).op('t').op('Q');
    integer(int32_t(offset)).ints(sizes).ints(strides).op('\x89');
    global("collections", "OrderedDict").op(')').op('R');
    return op('t').op('R');
  }
  std::string done() { return b + "."; }
};

std::string floats(const std::vector<float>& v) { return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4); }

// A checkpoint with root "ck", the given data.pkl and storage entries.
std::string checkpoint(const std::string& pkl, const std::vector<std::pair<std::string, std::string>>& storages,
                       Zip64 z64 = Zip64::None) {
  std::vector<ZipItem> items{{"ck/data.pkl", pkl}};
  for (const auto& [key, data] : storages) items.push_back({"ck/data/" + key, data});
  items.push_back({"ck/version", "3\n"});
  return makeZip(items, z64);
}

ns::Result<ns::PickleTree> runPickle(const std::string& bytes, ns::PickleLimits limits = {}) {
  return ns::PickleMachine(limits).run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "test.pkl");
}

}  // namespace

class TstTorchCheckpoint : public QObject {
  Q_OBJECT
 private slots:
  void readsFlatStateDictExactly();
  void readsViewsAndSharedStorages();
  void readsTrainingCheckpointStateDict();
  void readsParametersAndNestedDicts();
  void readsPickleProtocol4();
  void readsUnalignedRepackedZip();
  void readsZip64Entries();
  void parseMatchesRead();
  void refusesOsSystemNamingIt();
  void refusesMissingStorage();
  void refusesEveryTruncation();
  void refusesLegacyAndForeignFiles();
  void refusesCompressedEncryptedAndDuplicateEntries();
  void refusesViewsOutsideTheirStorage();
  void refusesUnboundedCopies();
  void flattensNestedNamesAndRefusesCollisions();
  void pickleValuesAndSharing();
  void pickleRefusesUnknownCallsAndBadStreams();
  void pickleLimitsBoundMemory();
};

void TstTorchCheckpoint::readsFlatStateDictExactly() {
  auto r = ns::readTorchCheckpoint(fixture("flat.ckpt"));
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  const std::string diff = compareWithExpected(*r, "flat.safetensors");
  QVERIFY2(diff.empty(), diff);
  QCOMPARE(r->size(), size_t(6));
  const at::Tensor& f16 = r->at("model.diffusion_model.input_blocks.0.0.bias");
  QVERIFY(f16.scalar_type() == at::kHalf);
  uint16_t firstBits = 0;
  std::memcpy(&firstBits, f16.data_ptr(), 2);
  QCOMPARE(int(firstBits), 1);  // the smallest subnormal, not flushed to 0
  const at::Tensor& ids = r->at("cond_stage_model.transformer.text_model.embeddings.position_ids");
  QVERIFY(ids.scalar_type() == at::kLong);
  QCOMPARE(ids[2].item<int64_t>(), (int64_t(1) << 62) + 12345);
  QCOMPARE(ids[3].item<int64_t>(), -(int64_t(1) << 53) - 1);
  QVERIFY(r->at("first_stage_model.encoder.conv_in.weight").scalar_type() == at::kBFloat16);
  QCOMPARE(r->at("scalar").dim(), int64_t(0));
  QCOMPARE(r->at("scalar").item<float>(), 2.5f);
  QVERIFY(r->at("empty").sizes().equals({0, 3}));
  QVERIFY(std::isnan(r->at("model.diffusion_model.input_blocks.0.0.weight")[0][0].item<float>()));
}

void TstTorchCheckpoint::readsViewsAndSharedStorages() {
  auto r = ns::readTorchCheckpoint(fixture("views.ckpt"));
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  const std::string diff = compareWithExpected(*r, "views.safetensors");
  QVERIFY2(diff.empty(), diff);
  for (const auto& [name, t] : *r) QVERIFY2(t.is_contiguous(), name + " is not contiguous");
  // head = big[:4], tail = big[4:]: views of one storage, 4 floats apart, not copies.
  const at::Tensor& head = r->at("head");
  const at::Tensor& tail = r->at("tail");
  QCOMPARE(static_cast<const char*>(tail.data_ptr()) - static_cast<const char*>(head.data_ptr()), std::ptrdiff_t(16));
  // The transpose is a copy with the transposed values: base_t[j][i] == base[i][j] == (6 i + j) / 8.
  QCOMPARE(r->at("base_t")[5][3].item<float>(), 23.0f / 8);
  QVERIFY(at::equal(r->at("base_t"), r->at("base").t()));
  QVERIFY(at::equal(r->at("column"), r->at("base").select(1, 2)));
  QVERIFY(at::equal(r->at("expanded")[0], r->at("expanded")[1]));
}

void TstTorchCheckpoint::readsTrainingCheckpointStateDict() {
  // {"state_dict": {...}, "global_step": 7, "epoch": 1, callbacks keyed by class with a numpy scalar,
  //  a plain object, bytes, a 71-bit int, a set, optimizer states with tensors}: only the state dict.
  auto r = ns::readTorchCheckpoint(fixture("lightning.ckpt"));
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  const std::string diff = compareWithExpected(*r, "lightning.safetensors");
  QVERIFY2(diff.empty(), diff);
  QCOMPARE(r->size(), size_t(2));
  QVERIFY(r->at("model.betas").scalar_type() == at::kDouble);
  QCOMPARE(r->at("model.betas")[9].item<double>(), 2e-2);
}

void TstTorchCheckpoint::readsParametersAndNestedDicts() {
  auto r = ns::readTorchCheckpoint(fixture("param.ckpt"));
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  const std::string diff = compareWithExpected(*r, "param.safetensors");
  QVERIFY2(diff.empty(), diff);
  std::set<std::string> names;
  for (const auto& [name, t] : *r) names.insert(name);
  QVERIFY((names == std::set<std::string>{"frozen", "module.bias", "module.inner.k", "plain", "weight"}));
  QVERIFY(!r->at("weight").requires_grad());
  QVERIFY(r->at("plain").scalar_type() == at::kBool);
  QVERIFY(r->at("module.inner.k").scalar_type() == at::kInt);
}

void TstTorchCheckpoint::readsPickleProtocol4() {
  auto r = ns::readTorchCheckpoint(fixture("proto4.ckpt"));
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  const std::string diff = compareWithExpected(*r, "proto4.safetensors");
  QVERIFY2(diff.empty(), diff);
  QVERIFY(r->at("b").scalar_type() == at::kShort);
}

void TstTorchCheckpoint::readsUnalignedRepackedZip() {
  // Python's zipfile with padded extra fields: no zip64 record, no data descriptors, every entry's
  // data 1 byte past a multiple of 8 (owned copies instead of views).
  const std::string bytes = readBytes(fixture("repacked.ckpt"));
  auto zip = ns::ZipArchive::open(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "repacked.ckpt");
  QVERIFY2(zip.ok(), zip.ok() ? "" : zip.error().message);
  const ns::ZipEntry* e = zip->find("flat/data/0");
  QVERIFY(e != nullptr);
  QVERIFY(e->dataOffset % 8 == 1);
  auto r = ns::readTorchCheckpoint(fixture("repacked.ckpt"));
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  const std::string diff = compareWithExpected(*r, "flat.safetensors");
  QVERIFY2(diff.empty(), diff);
  for (const auto& [name, t] : *r)
    QVERIFY2(reinterpret_cast<uintptr_t>(t.data_ptr()) % t.element_size() == 0, name + " is misaligned");
}

void TstTorchCheckpoint::readsZip64Entries() {
  // The flat checkpoint with zip64 sizes and offsets throughout (written by the fixture script).
  auto file = ns::readTorchCheckpoint(fixture("zip64.ckpt"));
  QVERIFY2(file.ok(), file.ok() ? "" : file.error().message);
  const std::string diff = compareWithExpected(*file, "flat.safetensors");
  QVERIFY2(diff.empty(), diff);
  // The same layout from this file's builder, and three ways of getting it wrong.
  const std::string pkl = Pickle().op('}').str("w").tensor("0", 3, 0, {3}, {1}).op('s').done();
  const std::vector<std::pair<std::string, std::string>> storages{{"0", floats({1, 2, 3})}};
  auto r = ns::parseTorchCheckpoint(checkpoint(pkl, storages, Zip64::Full), "z64.ckpt");
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  QVERIFY(at::equal(r->at("w"), at::tensor({1.f, 2.f, 3.f})));
  const std::pair<Zip64, const char*> broken[] = {{Zip64::NoExtra, "need a zip64 extra field"},
                                                  {Zip64::ShortExtra, "zip64 extra field is too short"},
                                                  {Zip64::NoRecord, "needs a zip64 record"}};
  for (const auto& [mode, expect] : broken) {
    auto b = ns::parseTorchCheckpoint(checkpoint(pkl, storages, mode), "z64.ckpt");
    QVERIFY2(!b.ok(), std::string("accepted, expected: ") + expect);
    QVERIFY2(contains(b.error().message, "z64.ckpt") && contains(b.error().message, expect), b.error().message);
  }
}

void TstTorchCheckpoint::parseMatchesRead() {
  for (const char* name : {"flat", "views", "param"}) {
    auto parsed = ns::parseTorchCheckpoint(readBytes(fixture(std::string(name) + ".ckpt")), name);
    QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.error().message);
    const std::string diff = compareWithExpected(*parsed, std::string(name) + ".safetensors");
    QVERIFY2(diff.empty(), diff);
  }
}

void TstTorchCheckpoint::refusesOsSystemNamingIt() {
  const std::string path = fixture("malicious.ckpt");
  auto r = ns::readTorchCheckpoint(path);
  QVERIFY(!r.ok());
  QVERIFY(r.error().kind == ns::ErrorKind::BadInput);
  QVERIFY2(contains(r.error().message, "posix.system"), r.error().message);
  QVERIFY2(contains(r.error().message, path), r.error().message);
  QVERIFY2(contains(r.error().message, "malicious/data.pkl"), r.error().message);
  // The same call through STACK_GLOBAL (protocol 4) and os.system's other spelling.
  Pickle p;
  p.b = "\x80\x04";
  p.str("os").str("system").op('\x93').op('(').str("echo pwned").op('t').op('R');
  auto s = runPickle(p.done());
  QVERIFY(!s.ok());
  QVERIFY2(contains(s.error().message, "os.system") && contains(s.error().message, "test.pkl"), s.error().message);
}

void TstTorchCheckpoint::refusesMissingStorage() {
  auto r = ns::readTorchCheckpoint(fixture("missing_storage.ckpt"));
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "'flat/data/1'") &&
               contains(r.error().message, "model.diffusion_model.input_blocks.0.0.bias"),
           r.error().message);
}

void TstTorchCheckpoint::refusesEveryTruncation() {
  // Every prefix of three real checkpoints (torch's layout, Python zipfile's plain one, zip64 throughout).
  for (const char* name : {"flat.ckpt", "repacked.ckpt", "zip64.ckpt"}) {
    const std::string bytes = readBytes(fixture(name));
    QVERIFY(bytes.size() > 1000);
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      auto r = ns::parseTorchCheckpoint(bytes.substr(0, cut), name);
      QVERIFY2(!r.ok(), std::string(name) + " cut at " + std::to_string(cut) + " was accepted");
      QVERIFY2(contains(r.error().message, name), r.error().message);
    }
  }
  // A cut inside the pickle of an otherwise valid zip: the pickle machine reports the truncation.
  const std::string pkl = Pickle().op('}').str("w").tensor("0", 2, 0, {2}, {1}).op('s').done();
  auto r = ns::parseTorchCheckpoint(checkpoint(pkl.substr(0, pkl.size() - 20), {{"0", floats({1, 2})}}), "cut.ckpt");
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "cut.ckpt: ck/data.pkl: at byte"), r.error().message);
  auto whole = ns::parseTorchCheckpoint(checkpoint(pkl, {{"0", floats({1, 2})}}), "whole.ckpt");
  QVERIFY2(whole.ok(), whole.ok() ? "" : whole.error().message);
  QVERIFY(at::equal(whole->at("w"), at::tensor({1.f, 2.f})));
}

void TstTorchCheckpoint::refusesLegacyAndForeignFiles() {
  auto legacy = ns::parseTorchCheckpoint(std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15), "old.pt");
  QVERIFY(!legacy.ok());
  QVERIFY2(contains(legacy.error().message, "legacy") && contains(legacy.error().message, "torch >= 1.6"),
           legacy.error().message);
  auto safetensors = ns::readTorchCheckpoint(fixture("flat.safetensors"));
  QVERIFY(!safetensors.ok());
  QVERIFY2(contains(safetensors.error().message, "zip"), safetensors.error().message);
  auto script = ns::parseTorchCheckpoint(makeZip({{"m/data.pkl", Pickle().op('}').done()}, {"m/constants.pkl", "x"},
                                                  {"m/code/__torch__/m.py", "x"}}), "script.pt");
  QVERIFY(!script.ok());
  QVERIFY2(contains(script.error().message, "TorchScript"), script.error().message);
  auto noPickle = ns::parseTorchCheckpoint(makeZip({{"a/b.txt", "hello"}}), "other.zip");
  QVERIFY(!noPickle.ok());
  QVERIFY2(contains(noPickle.error().message, "data.pkl"), noPickle.error().message);
  auto big = ns::parseTorchCheckpoint(makeZip({{"ck/data.pkl", Pickle().op('}').done()}, {"ck/byteorder", "big"}}), "be.ckpt");
  QVERIFY(!big.ok());
  QVERIFY2(contains(big.error().message, "ck/byteorder"), big.error().message);
  auto missing = ns::readTorchCheckpoint(fixture("no_such_file.ckpt"));
  QVERIFY(!missing.ok());
  QVERIFY(missing.error().kind == ns::ErrorKind::Io);
  auto notDict = ns::parseTorchCheckpoint(checkpoint(Pickle().integer(3).done(), {}), "int.ckpt");
  QVERIFY(!notDict.ok());
  QVERIFY2(contains(notDict.error().message, "int.ckpt: the top-level value is a int"), notDict.error().message);
}

void TstTorchCheckpoint::refusesCompressedEncryptedAndDuplicateEntries() {
  const std::string pkl = Pickle().op('}').done();
  auto deflated = ns::parseTorchCheckpoint(makeZip({{"ck/data.pkl", pkl, 8, 0}}), "deflate.ckpt");
  QVERIFY(!deflated.ok());
  QVERIFY2(contains(deflated.error().message, "'ck/data.pkl'") && contains(deflated.error().message, "compressed"),
           deflated.error().message);
  auto encrypted = ns::parseTorchCheckpoint(makeZip({{"ck/data.pkl", pkl, 0, 1}}), "crypt.ckpt");
  QVERIFY(!encrypted.ok());
  QVERIFY2(contains(encrypted.error().message, "encrypted"), encrypted.error().message);
  auto twice = ns::parseTorchCheckpoint(makeZip({{"ck/data.pkl", pkl}, {"ck/data.pkl", pkl}}), "dup.ckpt");
  QVERIFY(!twice.ok());
  QVERIFY2(contains(twice.error().message, "twice"), twice.error().message);
  // A central directory that claims more entries than it can hold.
  std::string lying = makeZip({{"ck/data.pkl", pkl}});
  lying[lying.size() - 12] = char(0xFF);  // total entries (low byte)
  lying[lying.size() - 14] = char(0xFF);  // entries on this disk
  auto r = ns::parseTorchCheckpoint(lying, "lying.ckpt");
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "lying.ckpt: not a readable zip archive"), r.error().message);
}

void TstTorchCheckpoint::refusesViewsOutsideTheirStorage() {
  const std::string four = floats({1, 2, 3, 4});
  struct Case {
    int64_t numel, offset;
    std::vector<int64_t> sizes, strides;
    const char* expect;
  };
  const Case cases[] = {
      {4, 1, {4}, {1}, "reach element 4"},          // one past the end
      {4, 0, {2, 2}, {3, 1}, "reach element 4"},    // strides past the end
      {4, 5, {0}, {1}, "offset is past"},           // empty, but the offset is outside
      {8, 0, {8}, {1}, "should hold 8 elements"},   // the entry has 16 bytes, not 32
      {4, 0, {2}, {1, 1}, "dimensions"},            // size and stride disagree
  };
  for (const Case& c : cases) {
    const std::string pkl = Pickle().op('}').str("layer.w").tensor("0", c.numel, c.offset, c.sizes, c.strides).op('s').done();
    auto r = ns::parseTorchCheckpoint(checkpoint(pkl, {{"0", four}}), "views.ckpt");
    QVERIFY2(!r.ok(), std::string("accepted: ") + c.expect);
    QVERIFY2(contains(r.error().message, "views.ckpt: tensor 'layer.w'") && contains(r.error().message, c.expect),
             r.error().message);
  }
  // Within bounds: a 2x2 window at offset 1 with row stride 2 -> {{2,3},{4,5}} of 1..6 (a view).
  const std::string pkl = Pickle().op('}').str("w").tensor("0", 6, 1, {2, 2}, {2, 1}).op('s').done();
  auto ok = ns::parseTorchCheckpoint(checkpoint(pkl, {{"0", floats({1, 2, 3, 4, 5, 6})}}), "ok.ckpt");
  QVERIFY2(ok.ok(), ok.ok() ? "" : ok.error().message);
  QVERIFY(at::equal(ok->at("w"), at::tensor({2.f, 3.f, 4.f, 5.f}).reshape({2, 2})));
}

void TstTorchCheckpoint::refusesUnboundedCopies() {
  // One float expanded (stride 0) to 2^40 elements: contiguous() would take 4 TB.
  const std::string pkl = Pickle().op('}').str("huge").tensor("0", 1, 0, {1 << 20, 1 << 20}, {0, 0}).op('s').done();
  auto r = ns::parseTorchCheckpoint(checkpoint(pkl, {{"0", floats({7})}}), "bomb.ckpt");
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "tensor 'huge'") && contains(r.error().message, "4x the file size"),
           r.error().message);
  // A small expand is fine: 3 copies of 7.
  const std::string small = Pickle().op('}').str("e").tensor("0", 1, 0, {3}, {0}).op('s').done();
  auto ok = ns::parseTorchCheckpoint(checkpoint(small, {{"0", floats({7})}}), "expand.ckpt");
  QVERIFY2(ok.ok(), ok.ok() ? "" : ok.error().message);
  QVERIFY(at::equal(ok->at("e"), at::full({3}, 7.f)));
}

void TstTorchCheckpoint::flattensNestedNamesAndRefusesCollisions() {
  // {"outer": {"inner": {"w": t}}, "self": <this dict>}: "outer.inner.w", the cycle walked once.
  Pickle p;
  p.op('}').op('q').byte(0);  // BINPUT 0: the top dict
  p.str("outer").op('}').str("inner").op('}').str("w").tensor("0", 2, 0, {2}, {1}).op('s').op('s').op('s');
  p.str("self").op('h').byte(0);  // BINGET 0
  p.op('s');
  auto r = ns::parseTorchCheckpoint(checkpoint(p.done(), {{"0", floats({1, 2})}}), "nested.ckpt");
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  QCOMPARE(r->size(), size_t(1));
  QVERIFY(r->count("outer.inner.w") == 1);
  // "a.b" twice: once as a key, once through nesting.
  Pickle q;
  q.op('}').str("a.b").tensor("0", 2, 0, {2}, {1}).op('s');
  q.str("a").op('}').str("b").tensor("0", 2, 0, {2}, {1}).op('s').op('s');
  auto dup = ns::parseTorchCheckpoint(checkpoint(q.done(), {{"0", floats({1, 2})}}), "dup.ckpt");
  QVERIFY(!dup.ok());
  QVERIFY2(contains(dup.error().message, "'a.b' appears twice"), dup.error().message);
  // No tensors at all.
  auto none = ns::parseTorchCheckpoint(checkpoint(Pickle().op('}').str("step").integer(3).op('s').done(), {}), "none.ckpt");
  QVERIFY(!none.ok());
  QVERIFY2(contains(none.error().message, "no tensors"), none.error().message);
}

void TstTorchCheckpoint::pickleValuesAndSharing() {
  // [ -2 (LONG1), 1.5 (BINFLOAT), "é", b"\x00\xff" (_codecs.encode), {1, 2} (builtins.set) ], then
  // the list appended to itself through the memo (a cycle costs nothing).
  Pickle p;
  p.op(']').op('q').byte(0);
  p.op('(');
  p.b += std::string("\x8a\x01\xfe", 3);                                      // LONG1 -2
  p.b += std::string("G\x3f\xf8\x00\x00\x00\x00\x00\x00", 9);                 // BINFLOAT 1.5
  p.str("\xc3\xa9");
  p.global("_codecs", "encode").str(std::string("\x00\xc3\xbf", 3)).str("latin1").op('\x86').op('R');
  p.global("__builtin__", "set").op(']').integer(1).op('a').integer(2).op('a').op('\x85').op('R');
  p.op('e');
  p.op('h').byte(0);
  p.op('a');
  auto t = runPickle(p.done());
  QVERIFY2(t.ok(), t.ok() ? "" : t.error().message);
  const ns::PickleValue& list = t->at(t->root);
  QVERIFY(list.kind == ns::PickleKind::List);
  QCOMPARE(list.items.size(), size_t(6));
  QCOMPARE(t->at(list.items[0]).integer, int64_t(-2));
  QCOMPARE(t->at(list.items[1]).real, 1.5);
  QCOMPARE(t->at(list.items[2]).text, std::string("\xc3\xa9"));
  QVERIFY(t->at(list.items[3]).kind == ns::PickleKind::Bytes);
  QCOMPARE(t->at(list.items[3]).text, std::string("\x00\xff", 2));
  QVERIFY(t->at(list.items[4]).kind == ns::PickleKind::Set);
  QCOMPARE(t->at(list.items[4]).items.size(), size_t(2));
  QCOMPARE(list.items[5], t->root);  // the same node, not a copy
}

void TstTorchCheckpoint::pickleRefusesUnknownCallsAndBadStreams() {
  struct Case {
    std::string bytes;
    const char* expect;
  };
  const Case cases[] = {
      {Pickle().global("builtins", "eval").str("1").op('\x85').op('R').done(), "builtins.eval"},
      {Pickle().global("subprocess", "Popen").op(')').op('R').done(), "subprocess.Popen"},
      {Pickle().global("torch", "load").op(')').op('R').done(), "torch.load"},
      {Pickle().str("x").op(')').op('R').done(), "callable of REDUCE must be a global"},
      {Pickle().op('h').byte(5).done(), "memo entry 5"},
      {Pickle().op('t').done(), "no MARK"},
      {Pickle().op('0').done(), "underflow"},
      {Pickle().op('(').op('0').done(), "underflow"},  // a pop may not cross a MARK
      {"\x80\x02I1\n.", "opcode 0x49"},                // protocol 0 INT
      {"\x80\x09}.", "protocol 9"},
      {Pickle().op('}').op(']').op('a').done(), "target of APPEND must be a list"},
      {Pickle().op('}').integer(1).op('s').done(), "underflow"},
      {Pickle().global("collections", "OrderedDict").op(')').op('R').integer(1).op('b').done(), ""},  // BUILD on a dict: ok
      {Pickle().integer(1).op(')').op('b').done(), "BUILD on a int"},
      {Pickle().op('}').done().substr(0, 3), "truncated"},  // no STOP
  };
  for (const Case& c : cases) {
    auto r = runPickle(c.bytes);
    if (std::string(c.expect).empty()) {
      QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
      continue;
    }
    QVERIFY2(!r.ok(), std::string("accepted, expected: ") + c.expect);
    QVERIFY2(contains(r.error().message, c.expect) && contains(r.error().message, "test.pkl: at byte"),
             r.error().message);
  }
}

void TstTorchCheckpoint::pickleLimitsBoundMemory() {
  // A string that claims 4 GB in a 12-byte pickle: refused before allocating.
  const std::string huge = std::string("\x80\x02X\xff\xff\xff\xff", 7) + "abc.";
  auto r = runPickle(huge);
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "BINUNICODE needs 4294967295 bytes"), r.error().message);
  ns::PickleLimits limits;
  limits.maxNodes = 100;
  Pickle many;
  many.op('(');
  for (int i = 0; i < 200; ++i) many.op(']');
  auto nodes = runPickle(many.op('t').done(), limits);
  QVERIFY(!nodes.ok());
  QVERIFY2(contains(nodes.error().message, "more than 100 values"), nodes.error().message);
  limits = {};
  limits.maxMarks = 10;
  auto marks = runPickle(Pickle().done().substr(0, 2) + std::string(20, '(') + ".", limits);
  QVERIFY(!marks.ok());
  QVERIFY2(contains(marks.error().message, "nested MARKs"), marks.error().message);
  limits = {};
  limits.maxBytes = 4096;
  auto bytes = runPickle(Pickle().str(std::string(5000, 'x')).done(), limits);
  QVERIFY(!bytes.ok());
  QVERIFY2(contains(bytes.error().message, "more than 4096 bytes"), bytes.error().message);
  limits = {};
  limits.maxMemo = 3;
  Pickle memo;
  for (int i = 0; i < 5; ++i) memo.op(']').op('\x94');
  auto m = runPickle(memo.done(), limits);
  QVERIFY(!m.ok());
  QVERIFY2(contains(m.error().message, "memo entries"), m.error().message);
}

NS_REGISTER_TEST(TstTorchCheckpoint, readsFlatStateDictExactly, readsViewsAndSharedStorages,
                 readsTrainingCheckpointStateDict, readsParametersAndNestedDicts, readsPickleProtocol4,
                 readsUnalignedRepackedZip, readsZip64Entries, parseMatchesRead, refusesOsSystemNamingIt, refusesMissingStorage,
                 refusesEveryTruncation, refusesLegacyAndForeignFiles, refusesCompressedEncryptedAndDuplicateEntries,
                 refusesViewsOutsideTheirStorage, refusesUnboundedCopies, flattensNestedNamesAndRefusesCollisions,
                 pickleValuesAndSharing, pickleRefusesUnknownCallsAndBadStreams, pickleLimitsBoundMemory)
#ifdef NS_HAVE_QTEST
#include "tst_torch_checkpoint.moc"
#endif
