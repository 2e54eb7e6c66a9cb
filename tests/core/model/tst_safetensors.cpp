// Tests core/model/safetensors.h: round trip of every dtype and the metadata through a real file,
// byte layout compatible with the reference format, and refusal (with the file and tensor named)
// of every malformed-file case the reader guards against. Bad files are built byte by byte here.
#include "tests/support/ns_test.h"

// Qt's `slots` macro clashes with a method of that name in ATen's ivalue headers.
#pragma push_macro("slots")
#undef slots
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#pragma pop_macro("slots")

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

#include "core/model/safetensors.h"

namespace {

std::string tempPath(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("ns_tst_safetensors_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

// 8-byte LE length + header + data.
std::string makeBytes(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

std::string writeFile(const std::string& name, const std::string& bytes) {
  const std::string p = tempPath(name);
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

class TstSafetensors : public QObject {
  Q_OBJECT
 private slots:
  void roundTripAllDtypes();
  void headerLayoutMatchesReference();
  void readsFileWrittenByPython();
  void refusesTruncatedFile();
  void refusesBadHeaderLength();
  void refusesInvalidJson();
  void refusesOffsetsOutOfRange();
  void refusesOverlappingOffsets();
  void refusesUnknownDtype();
  void refusesShapeSizeMismatch();
  void refusesNegativeDims();
  void missingFileIsIoError();
  void cleanupTestCase();
};

void TstSafetensors::roundTripAllDtypes() {
  at::Generator gen = at::detail::createCPUGenerator(7);
  at::Tensor f32 = at::randn({3, 4}, gen, at::TensorOptions());
  std::map<std::string, at::Tensor> in{
      {"f16", f32.to(at::kHalf)},
      {"bf16", f32.to(at::kBFloat16)},
      {"f32", f32},
      {"f64", f32.to(at::kDouble).mul(1e-300)},  // values only a double can hold
      {"i64", at::arange(-5, 7, at::kLong).mul(int64_t(1) << 40)},
      {"i32", at::arange(-6, 6, at::kInt).reshape({2, 6})},
      {"i16", at::arange(-3, 3, at::kShort)},
      {"i8", at::arange(-128, 128, 37, at::kChar)},
      {"u8", at::arange(0, 256, 51, at::kByte)},
      {"bool", f32.gt(0)},
      {"scalar", at::scalar_tensor(2.5, at::kFloat)},
      {"empty", at::empty({0, 3}, at::kFloat)},
      {"noncontig", f32.t()},
  };
  std::map<std::string, std::string> meta{{"format", "pt"}, {"note", "ünïcode ok"}};
  const std::string path = tempPath("roundtrip.safetensors");
  auto w = ns::writeSafetensors(path, in, meta);
  QVERIFY2(w.ok(), w.error().message.c_str());
  QVERIFY2(!std::filesystem::exists(path + ".tmp-" + std::to_string(::getpid())), "temp file left behind");
  auto r = ns::readSafetensors(path);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
  QCOMPARE(r->tensors.size(), in.size());
  QVERIFY(r->metadata == meta);
  for (const auto& [name, t] : in) {
    auto it = r->tensors.find(name);
    QVERIFY2(it != r->tensors.end(), ("missing " + name).c_str());
    const at::Tensor& back = it->second;
    QVERIFY2(back.scalar_type() == t.scalar_type(), ("dtype changed for " + name).c_str());
    QVERIFY2(back.sizes() == t.sizes(), ("shape changed for " + name).c_str());
    QVERIFY2(at::equal(back, t.contiguous()), ("values changed for " + name).c_str());
  }
  // The f64 values are below float range: a lossy path would have turned them into zeros.
  QVERIFY(r->tensors["f64"].abs().max().item<double>() > 0);
}

void TstSafetensors::headerLayoutMatchesReference() {
  // Hand-computed reference: one F32 tensor [2] = {1, 2}.
  auto bytes = ns::serializeSafetensors({{"a", at::tensor({1.f, 2.f})}});
  QVERIFY(bytes.ok());
  const std::string& b = bytes.value();
  uint64_t n = 0;
  std::memcpy(&n, b.data(), 8);
  QCOMPARE(n % 8, uint64_t((8 - 8 % 8) % 8));  // data 8-byte aligned: 8 + n is a multiple of 8
  QCOMPARE(b.size(), size_t(8 + n + 8));
  const std::string header = b.substr(8, n);
  QVERIFY2(contains(header, "\"a\":{\"data_offsets\":[0,8],\"dtype\":\"F32\",\"shape\":[2]}"), header.c_str());
  float v[2];
  std::memcpy(v, b.data() + 8 + n, 8);
  QCOMPARE(v[0], 1.f);
  QCOMPARE(v[1], 2.f);
  // And a header written by hand (as Python's safetensors would) parses.
  const std::string hand = makeBytes(R"({"__metadata__":{"k":"v"},"w":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}})",
                                     std::string("\x2a\x00\x00\x00", 4));
  auto r = ns::parseSafetensors(hand, "hand.safetensors");
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
  QCOMPARE(r->tensors["w"].item<int>(), 42);
  QCOMPARE(r->metadata["k"], std::string("v"));
}

// tests/data/model/python_written.safetensors was written by the reference implementation
// (Python safetensors 0.8.0, torch 2.11: safetensors.torch.save_file) with these values.
void TstSafetensors::readsFileWrittenByPython() {
  const std::string path = nstest::dataDir() + "/model/python_written.safetensors";
  auto r = ns::readSafetensors(path);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message.c_str());
  QCOMPARE(r->tensors.size(), size_t(12));
  QCOMPARE(r->metadata["writer"], std::string("python safetensors"));
  QCOMPARE(r->metadata["format"], std::string("pt"));
  auto& t = r->tensors;
  QVERIFY(at::equal(t["f16"], at::tensor({1.5f, -2.25f, 65504.f}).to(at::kHalf)));
  QVERIFY(at::equal(t["bf16"], at::tensor({1.5f, -2.25f, 3.0e38f}).to(at::kBFloat16)));
  QVERIFY(at::equal(t["f32"], at::arange(6, at::kFloat).div(4).reshape({2, 3})));
  QVERIFY(t["f64"].scalar_type() == at::kDouble);
  QCOMPARE(t["f64"][0].item<double>(), 1e-300);
  QCOMPARE(t["f64"][1].item<double>(), -3.5);
  QCOMPARE(t["i64"][0].item<int64_t>(), -(int64_t(1) << 40));
  QCOMPARE(t["i64"][1].item<int64_t>(), int64_t(7));
  QVERIFY(t["i32"].sizes() == at::IntArrayRef({1, 2}) && t["i32"][0][0].item<int>() == -5);
  QVERIFY(t["i16"].scalar_type() == at::kShort && t["i16"][0].item<int>() == -300);
  QVERIFY(t["i8"].scalar_type() == at::kChar && t["i8"][0].item<int>() == -128 && t["i8"][1].item<int>() == 127);
  QVERIFY(t["u8"].scalar_type() == at::kByte && t["u8"][1].item<int>() == 255);
  QVERIFY(at::equal(t["bool"], at::tensor({1, 0, 1}).to(at::kBool)));
  QVERIFY(t["scalar"].dim() == 0 && t["scalar"].item<float>() == 2.5f);
  QVERIFY(t["empty"].sizes() == at::IntArrayRef({0, 3}));
  // And our writer reproduces the reference file's data section byte for byte (same tensor order).
  std::ifstream in(path, std::ios::binary);
  const std::string ref((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto ours = ns::serializeSafetensors(t, r->metadata);
  QVERIFY(ours.ok());
  uint64_t nRef = 0, nOurs = 0;
  std::memcpy(&nRef, ref.data(), 8);
  std::memcpy(&nOurs, ours->data(), 8);
  QVERIFY2(ref.substr(8 + nRef) == ours->substr(8 + nOurs), "tensor bytes differ from the reference writer");
}

void TstSafetensors::refusesTruncatedFile() {
  auto good = ns::serializeSafetensors({{"weight", at::ones({4, 4})}});
  QVERIFY(good.ok());
  const std::string path = writeFile("trunc.safetensors", good->substr(0, good->size() - 5));
  auto r = ns::readSafetensors(path);
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, path) && contains(r.error().message, "'weight'"), r.error().message.c_str());
  auto tiny = ns::parseSafetensors(std::string("\x05\x00", 2), "tiny.safetensors");
  QVERIFY(!tiny.ok());
  QVERIFY2(contains(tiny.error().message, "tiny.safetensors") && contains(tiny.error().message, "too short"),
           tiny.error().message.c_str());
}

void TstSafetensors::refusesBadHeaderLength() {
  // Length says 1000 bytes of header, only 10 follow.
  std::string past = makeBytes("{}", "12345678");
  const uint64_t n = 1000;
  std::memcpy(past.data(), &n, 8);
  auto r = ns::parseSafetensors(past, "past.safetensors");
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "past.safetensors") && contains(r.error().message, "past the end"),
           r.error().message.c_str());
  // Absurd length (e.g. a PNG or text file read as safetensors).
  std::string absurd = makeBytes("{}", "");
  const uint64_t huge = 0x7fffffffffffull;
  std::memcpy(absurd.data(), &huge, 8);
  auto a = ns::parseSafetensors(absurd, "absurd.safetensors");
  QVERIFY(!a.ok());
  QVERIFY2(contains(a.error().message, "absurd"), a.error().message.c_str());
}

void TstSafetensors::refusesInvalidJson() {
  auto r = ns::parseSafetensors(makeBytes(R"({"w": {"dtype": "F32", )", ""), "json.safetensors");
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "json.safetensors") && contains(r.error().message, "not valid JSON"),
           r.error().message.c_str());
  auto arr = ns::parseSafetensors(makeBytes("[1,2]", ""), "arr.safetensors");
  QVERIFY(!arr.ok());
  QVERIFY2(contains(arr.error().message, "not an object"), arr.error().message.c_str());
  auto meta = ns::parseSafetensors(makeBytes(R"({"__metadata__":{"n":3}})", ""), "meta.safetensors");
  QVERIFY(!meta.ok());
  QVERIFY2(contains(meta.error().message, "'n'"), meta.error().message.c_str());
}

void TstSafetensors::refusesOffsetsOutOfRange() {
  auto r = ns::parseSafetensors(
      makeBytes(R"({"bias":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})", std::string(16, '\0')),
      "range.safetensors");
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "range.safetensors") && contains(r.error().message, "'bias'") &&
               contains(r.error().message, "past the end"),
           r.error().message.c_str());
  auto rev = ns::parseSafetensors(
      makeBytes(R"({"bias":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", std::string(16, '\0')),
      "rev.safetensors");
  QVERIFY(!rev.ok());
  QVERIFY2(contains(rev.error().message, "'bias'"), rev.error().message.c_str());
}

void TstSafetensors::refusesOverlappingOffsets() {
  auto r = ns::parseSafetensors(makeBytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                          R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                          std::string(12, '\0')),
                                "overlap.safetensors");
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "overlap.safetensors") && contains(r.error().message, "overlap") &&
               contains(r.error().message, "'b'"),
           r.error().message.c_str());
}

void TstSafetensors::refusesUnknownDtype() {
  auto r = ns::parseSafetensors(
      makeBytes(R"({"q":{"dtype":"F8_E9M9","shape":[1],"data_offsets":[0,1]}})", std::string(1, '\0')),
      "dtype.safetensors");
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "'q'") && contains(r.error().message, "F8_E9M9"), r.error().message.c_str());
}

void TstSafetensors::refusesShapeSizeMismatch() {
  auto r = ns::parseSafetensors(
      makeBytes(R"({"w":{"dtype":"F16","shape":[3,3],"data_offsets":[0,16]}})", std::string(16, '\0')),
      "size.safetensors");
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "'w'") && contains(r.error().message, "needs 18 bytes") &&
               contains(r.error().message, "span 16"),
           r.error().message.c_str());
  // Overflowing shapes must not wrap around to a small byte count.
  auto o = ns::parseSafetensors(
      makeBytes(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,0]}})", ""),
      "overflow.safetensors");
  QVERIFY(!o.ok());
  QVERIFY2(contains(o.error().message, "overflow"), o.error().message.c_str());
}

void TstSafetensors::refusesNegativeDims() {
  auto r = ns::parseSafetensors(
      makeBytes(R"({"w":{"dtype":"F32","shape":[-1,2],"data_offsets":[0,8]}})", std::string(8, '\0')),
      "neg.safetensors");
  QVERIFY(!r.ok());
  QVERIFY2(contains(r.error().message, "'w'") && contains(r.error().message, "negative"), r.error().message.c_str());
}

void TstSafetensors::missingFileIsIoError() {
  auto r = ns::readSafetensors("/nonexistent/dir/x.safetensors");
  QVERIFY(!r.ok());
  QVERIFY(r.error().kind == ns::ErrorKind::Io);
  QVERIFY2(contains(r.error().message, "/nonexistent/dir/x.safetensors"), r.error().message.c_str());
  auto w = ns::writeSafetensors("/nonexistent/dir/x.safetensors", {{"a", at::ones({1})}});
  QVERIFY(!w.ok());
  QVERIFY2(contains(w.error().message, "/nonexistent/dir/x.safetensors"), w.error().message.c_str());
}

void TstSafetensors::cleanupTestCase() {
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                                  ("ns_tst_safetensors_" + std::to_string(::getpid())),
                              ec);
}

NS_REGISTER_TEST(TstSafetensors, roundTripAllDtypes, headerLayoutMatchesReference, readsFileWrittenByPython,
                 refusesTruncatedFile,
                 refusesBadHeaderLength, refusesInvalidJson, refusesOffsetsOutOfRange, refusesOverlappingOffsets,
                 refusesUnknownDtype, refusesShapeSizeMismatch, refusesNegativeDims, missingFileIsIoError,
                 cleanupTestCase)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_safetensors.moc"
#endif
