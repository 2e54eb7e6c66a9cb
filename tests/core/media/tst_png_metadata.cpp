// Tests results that remember how they were made (core/media/png_text.h, result_metadata.h):
// a project or recipe written into a PNG reads back equal; the pixels are unchanged; damaged
// metadata (bad CRC, truncated file, absurd lengths, a zlib bomb, bad JSON, an invalid project)
// becomes a note naming the file while the picture still decodes; a file that is not a PNG is an
// error; video sidecars round trip. The damaged files are made here, in a temp folder.
#include "tests/support/ns_test.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/media/image_io.h"
#include "core/media/png_text.h"
#include "core/media/result_metadata.h"
#include "core/plan/project.h"

namespace fs = std::filesystem;
using namespace ns;
using namespace ns::media;

namespace {

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeAll(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
}

uint32_t be32(const std::string& b, size_t pos) {
  return (uint32_t(uint8_t(b[pos])) << 24) | (uint32_t(uint8_t(b[pos + 1])) << 16) | (uint32_t(uint8_t(b[pos + 2])) << 8) |
         uint32_t(uint8_t(b[pos + 3]));
}

void putBe32(std::string& b, size_t pos, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[pos + size_t(i)] = char((v >> (24 - 8 * i)) & 0xff);
}

// Byte offset of the first chunk of `type` (its length field), or npos.
size_t findChunk(const std::string& png, const std::string& type) {
  size_t pos = 8;
  while (pos + 12 <= png.size()) {
    if (png.compare(pos + 4, 4, type) == 0) return pos;
    pos += 12 + be32(png, pos);
  }
  return std::string::npos;
}

// A chunk with a correct CRC.
std::string chunk(const std::string& type, const std::string& data) {
  std::string c(4, '\0');
  putBe32(c, 0, uint32_t(data.size()));
  const std::string body = type + data;
  c += body;
  std::string crc(4, '\0');
  putBe32(crc, 0, pngCrc(reinterpret_cast<const uint8_t*>(body.data()), body.size()));
  return c + crc;
}

// `png` with `extra` placed right after IHDR.
std::string withChunkAfterIhdr(const std::string& png, const std::string& extra) {
  return png.substr(0, 33) + extra + png.substr(33);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string notesOf(const MetadataReadout& r) {
  std::string s;
  for (const auto& n : r.notes) s += n + " | ";
  return s;
}

Project sampleProject() {
  Project p;
  p.width = 64;
  p.height = 48;
  p.frames = 4;
  p.prompt = "on grass";
  p.seed = 1234567;
  p.render.steps = 12;
  p.render.cfg = 5.5;
  p.render.noiseRatio = 0.8;
  ProjectObject o;
  o.id = "ball";
  o.prompt = "a red ball \xc3\xa9t\xc3\xa9";  // UTF-8 survives (iTXt)
  Keyframe k;
  k.box = NormBox{0.1f, 0.2f, 0.4f, 0.5f};
  o.trajectory.setKey(k);
  p.objects.push_back(o);
  return p;
}

}  // namespace

class TstPngMetadata : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase();
  void cleanupTestCase();
  void projectRoundTripsAndPixelsStay();
  void recipeRoundTripsCompressedOrNot();
  void relativeSourcePathsBecomeAbsolute();
  void rewritingReplacesTheChunk();
  void badCrcIsANoteAndTheImageStillDecodes();
  void truncatedFileIsANote();
  void hugeLengthsAreNotesNotAllocations();
  void zlibBombIsRefused();
  void badEnvelopesAreNotes();
  void notAPngIsAnError();
  void plainImagesHaveNoMetadata();
  void videoSidecarsRoundTrip();

 private:
  std::string tmp(const std::string& name) const { return (m_dir / name).string(); }
  std::string taggedPng(const std::string& name);
  fs::path m_dir;
  at::Tensor m_image;
};

void TstPngMetadata::initTestCase() {
  m_dir = fs::temp_directory_path() / ("ns_tst_png_meta_" + std::to_string(::getpid()));
  fs::create_directories(m_dir);
  at::manual_seed(3);
  m_image = at::rand({3, 24, 32}) * 2 - 1;
}

void TstPngMetadata::cleanupTestCase() {
  std::error_code ec;
  fs::remove_all(m_dir, ec);
}

std::string TstPngMetadata::taggedPng(const std::string& name) {
  const std::string path = tmp(name);
  auto w = writeImage(path, m_image, projectMetadata(sampleProject()));
  if (!w.ok()) qFatal("%s", w.error().message.c_str());
  return path;
}

void TstPngMetadata::projectRoundTripsAndPixelsStay() {
  const Project p = sampleProject();
  const std::string tagged = taggedPng("tagged.png");
  const std::string plain = tmp("plain.png");
  QVERIFY(writeImage(plain, m_image).ok());

  auto r = readResultMetadata(tagged);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  QVERIFY2(r->notes.empty(), notesOf(*r));
  QVERIFY(r->metadata.has_value());
  QCOMPARE(int(r->metadata->kind), int(ResultKind::Project));
  QCOMPARE(r->from, std::string("PNG iTXt"));
  // Byte for byte the project file's text, and the project it describes equals the original.
  QCOMPARE(r->metadata->json, p.toJsonText());
  auto back = Project::fromJsonText(r->metadata->json);
  QVERIFY(back.ok());
  QCOMPARE(back->seed, uint64_t(1234567));
  QCOMPARE(back->objects.at(0).prompt, p.objects[0].prompt);
  QCOMPARE(back->toJsonText(), p.toJsonText());
  // The plain-text summary other tools show.
  QVERIFY2(contains(r->parameters, "a red ball") && contains(r->parameters, "Seed: 1234567") &&
               contains(r->parameters, "Steps: 12") && contains(r->parameters, "CFG scale: 5.5") &&
               contains(r->parameters, "Size: 64x48"),
           r->parameters);
  // The same pixels as a PNG written without metadata.
  auto a = readImage(tagged), b = readImage(plain);
  QVERIFY(a.ok() && b.ok());
  QVERIFY(at::equal(*a, *b));
  QVERIFY(readAll(tagged).size() > readAll(plain).size());
  auto plainMeta = readResultMetadata(plain);
  QVERIFY(plainMeta.ok() && !plainMeta->metadata && plainMeta->notes.empty());
}

void TstPngMetadata::recipeRoundTripsCompressedOrNot() {
  const nlohmann::json recipe{{"verb", "edit"}, {"noise", "/x/cat.nsnoise"}, {"prompt", "a dog"}, {"seed", 7},
                              {"steps", 30},    {"cfg", 12.5},               {"skip", 20},        {"sampler", "ddpm"},
                              {"model", "builtin"}, {"edits", {{"shift", {4, -2}}}}};
  const ResultMetadata m = recipeMetadata(recipe.dump());
  const std::string plain = tmp("recipe.png");
  QVERIFY(writeImage(plain, m_image).ok());
  for (bool compress : {false, true}) {
    auto tagged = insertPngText(readAll(plain), metadataPngText(m), compress);
    QVERIFY(tagged.ok());
    const std::string path = tmp(compress ? "recipe_z.png" : "recipe_u.png");
    writeAll(path, *tagged);
    auto r = readResultMetadata(path);
    QVERIFY(r.ok());
    QVERIFY2(r->notes.empty(), notesOf(*r));
    QVERIFY(r->metadata && r->metadata->kind == ResultKind::Recipe);
    QCOMPARE(nlohmann::json::parse(r->metadata->json), recipe);
    QVERIFY2(contains(r->parameters, "a dog\n") && contains(r->parameters, "Skip: 20") &&
                 contains(r->parameters, "Sampler: ddpm"),
             r->parameters);
    // The raw chunk list: iTXt (compressed or not) for the envelope, tEXt for the summary.
    auto chunks = readPngTextFile(path);
    QVERIFY(chunks.ok());
    QCOMPARE(int(chunks->entries.size()), 3);
    QVERIFY(chunks->entries[0].international && !chunks->entries[1].international);
    QCOMPARE(findChunk(*tagged, "zTXt"), std::string::npos);
  }
}

void TstPngMetadata::relativeSourcePathsBecomeAbsolute() {
  Project p = sampleProject();
  p.filePath = tmp("proj/scene.nsproj");
  p.background.kind = BackgroundKind::ImageFile;
  p.background.path = "photos/field.png";
  const ResultMetadata m = projectMetadata(p);
  auto back = Project::fromJsonText(m.json);
  QVERIFY(back.ok());
  QCOMPARE(back->background.path, (m_dir / "proj" / "photos" / "field.png").string());
}

void TstPngMetadata::rewritingReplacesTheChunk() {
  const std::string path = taggedPng("twice.png");
  Project other = sampleProject();
  other.seed = 99;
  auto again = insertPngText(readAll(path), metadataPngText(projectMetadata(other)));
  QVERIFY(again.ok());
  auto chunks = readPngText(reinterpret_cast<const uint8_t*>(again->data()), again->size(), "twice.png");
  QVERIFY(chunks.ok());
  int ours = 0;
  for (const auto& e : chunks->entries) ours += e.keyword == kPngMetadataKeyword;
  QCOMPARE(ours, 1);
  writeAll(path, *again);
  auto r = readResultMetadata(path);
  QVERIFY(r.ok() && r->metadata);
  QVERIFY(contains(r->metadata->json, "\"seed\": 99"));
}

void TstPngMetadata::badCrcIsANoteAndTheImageStillDecodes() {
  const std::string path = taggedPng("badcrc.png");
  std::string bytes = readAll(path);
  const size_t at = findChunk(bytes, "iTXt");
  QVERIFY(at != std::string::npos);
  bytes[at + 8 + 40] ^= 0x20;  // one bit inside the envelope's text
  writeAll(path, bytes);
  auto r = readResultMetadata(path);
  QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
  QVERIFY(!r->metadata);
  QCOMPARE(int(r->notes.size()), 1);
  QVERIFY2(contains(r->notes[0], path) && contains(r->notes[0], "CRC mismatch"), r->notes[0]);
  QVERIFY(contains(r->parameters, "Seed: 1234567"));  // the intact summary chunk is still read
  auto image = readImage(path);
  QVERIFY2(image.ok(), image.ok() ? "" : image.error().message);
  auto intact = readImage(taggedPng("good.png"));
  QVERIFY(intact.ok() && at::equal(*image, *intact));
}

void TstPngMetadata::truncatedFileIsANote() {
  const std::string good = readAll(taggedPng("trunc_src.png"));
  const size_t at = findChunk(good, "iTXt");
  for (size_t cut : {at + 6, at + 8 + 30, good.size() - 5}) {
    const std::string path = tmp("trunc.png");
    writeAll(path, good.substr(0, cut));
    auto r = readResultMetadata(path);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
    if (cut < good.size() - 100) QVERIFY(!r->metadata);
    QVERIFY2(!r->notes.empty() && contains(r->notes[0], path) && contains(r->notes[0], "truncated"), notesOf(*r));
  }
  // Cut inside the IHDR: not a PNG any more, an error naming the file.
  writeAll(tmp("trunc_ihdr.png"), good.substr(0, 20));
  auto r = readResultMetadata(tmp("trunc_ihdr.png"));
  QVERIFY(!r.ok());
  QVERIFY(contains(r.error().message, tmp("trunc_ihdr.png")) && contains(r.error().message, "truncated"));
}

void TstPngMetadata::hugeLengthsAreNotesNotAllocations() {
  const std::string good = readAll(taggedPng("huge_src.png"));
  const size_t at = findChunk(good, "iTXt");
  struct Case {
    uint32_t length;
    const char* says;
  };
  for (const Case& c : {Case{0xfffffff0u, "2^31-1"}, Case{0x7ffffff0u, "truncated"}, Case{70u << 20, "truncated"}}) {
    std::string bytes = good;
    putBe32(bytes, at, c.length);
    const std::string path = tmp("huge.png");
    writeAll(path, bytes);
    auto r = readResultMetadata(path);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().message);
    QVERIFY(!r->metadata);
    QVERIFY2(!r->notes.empty() && contains(r->notes[0], c.says), notesOf(*r));
  }
  // A text chunk over the size limit that really is in the file: skipped by its declared size.
  PngTextLimits small;
  small.maxChunkBytes = 300;  // the summary fits, the project envelope does not
  auto r = readPngText(reinterpret_cast<const uint8_t*>(good.data()), good.size(), "huge_src.png", small);
  QVERIFY(r.ok());
  QVERIFY2(!r->notes.empty() && contains(r->notes[0], "over the 300-byte limit"), r->notes.empty() ? "" : r->notes[0]);
  QCOMPARE(int(r->entries.size()), 2);  // the short "parameters" and "Software" chunks still read
}

void TstPngMetadata::zlibBombIsRefused() {
  // 32 MB of spaces deflate to ~32 KB; inflating must stop at the 16 MiB text limit.
  const std::string spaces(size_t(32) << 20, ' ');
  uLongf bound = compressBound(uLong(spaces.size()));
  std::string z(bound, '\0');
  QCOMPARE(compress2(reinterpret_cast<Bytef*>(z.data()), &bound, reinterpret_cast<const Bytef*>(spaces.data()),
                     uLong(spaces.size()), 9),
           Z_OK);
  z.resize(bound);
  const std::string body = std::string("NoiseStudio") + '\0' + char(1) + '\0' + '\0' + '\0' + z;
  const std::string plain = tmp("bomb_src.png");
  QVERIFY(writeImage(plain, m_image).ok());
  const std::string path = tmp("bomb.png");
  writeAll(path, withChunkAfterIhdr(readAll(plain), chunk("iTXt", body)));
  auto r = readResultMetadata(path);
  QVERIFY(r.ok());
  QVERIFY(!r->metadata);
  QVERIFY2(!r->notes.empty() && contains(r->notes[0], "inflates beyond"), notesOf(*r));
  // A damaged zlib stream is a note too.
  std::string broken = body;
  broken[broken.size() - 100] ^= 0x55;
  broken.resize(broken.size() - 50);
  writeAll(path, withChunkAfterIhdr(readAll(plain), chunk("iTXt", broken)));
  r = readResultMetadata(path);
  QVERIFY(r.ok() && !r->metadata);
  QVERIFY2(!r->notes.empty() && contains(r->notes[0], "malformed"), notesOf(*r));
}

void TstPngMetadata::badEnvelopesAreNotes() {
  const std::string plain = tmp("env_src.png");
  QVERIFY(writeImage(plain, m_image).ok());
  Project invalid = sampleProject();
  std::string invalidJson = invalid.toJsonText();
  const size_t w = invalidJson.find("\"width\": 64");
  QVERIFY(w != std::string::npos);
  invalidJson.replace(w, 11, "\"width\": -5");
  struct Case {
    std::string text;
    const char* says;
  };
  const Case cases[] = {
      {"{not json", "not valid JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"format":"other","version":1,"kind":"project","project":{}})", "\"format\""},
      {R"({"format":"noisestudio-result","version":9,"kind":"project","project":{}})", "version 9"},
      {R"({"format":"noisestudio-result","version":1,"kind":"poem","poem":{}})", "\"kind\""},
      {R"({"format":"noisestudio-result","version":1,"kind":"recipe","recipe":"text"})", "\"recipe\" object"},
      {R"({"format":"noisestudio-result","version":1,"kind":"project","project":)" + invalidJson + "}", "width"},
  };
  for (const Case& c : cases) {
    const std::string path = tmp("env.png");
    writeAll(path, withChunkAfterIhdr(readAll(plain), chunk("iTXt", std::string("NoiseStudio") + '\0' + '\0' + '\0' +
                                                                          '\0' + '\0' + c.text)));
    auto r = readResultMetadata(path);
    QVERIFY(r.ok());
    QVERIFY(!r->metadata);
    QVERIFY2(r->notes.size() == 1 && contains(r->notes[0], path) && contains(r->notes[0], c.says),
             c.text + " -> " + notesOf(*r));
  }
  // Malformed chunk layouts: no keyword terminator, bad compression flag.
  for (const std::string& body : {std::string("NoiseStudio"), std::string("NoiseStudio") + '\0' + char(7) + '\0'}) {
    const std::string path = tmp("layout.png");
    writeAll(path, withChunkAfterIhdr(readAll(plain), chunk("iTXt", body)));
    auto r = readResultMetadata(path);
    QVERIFY(r.ok() && !r->metadata);
    QVERIFY2(r->notes.size() == 1 && contains(r->notes[0], "malformed"), notesOf(*r));
  }
}

void TstPngMetadata::notAPngIsAnError() {
  writeAll(tmp("fake.png"), "GIF89a not a png at all");
  auto r = readResultMetadata(tmp("fake.png"));
  QVERIFY(!r.ok());
  QVERIFY(contains(r.error().message, tmp("fake.png")) && contains(r.error().message, "not a PNG"));
  auto missing = readResultMetadata(tmp("missing.png"));
  QVERIFY(!missing.ok() && contains(missing.error().message, "not found"));
  // IHDR with a wrong CRC.
  std::string bytes = readAll(taggedPng("ihdr.png"));
  bytes[20] ^= 1;
  writeAll(tmp("ihdr.png"), bytes);
  r = readResultMetadata(tmp("ihdr.png"));
  QVERIFY(!r.ok() && contains(r.error().message, "IHDR CRC"));
}

void TstPngMetadata::plainImagesHaveNoMetadata() {
  const std::string jpg = tmp("photo.jpg");
  QVERIFY(writeImage(jpg, m_image, projectMetadata(sampleProject())).ok());  // JPEG: nowhere to put it
  auto r = readResultMetadata(jpg);
  QVERIFY(r.ok() && !r->metadata && r->notes.empty());
}

void TstPngMetadata::videoSidecarsRoundTrip() {
  const std::string video = tmp("clip.mp4");
  writeAll(video, "not really a video; the sidecar is what is read");
  const Project p = sampleProject();
  QVERIFY(writeSidecar(video, projectMetadata(p)).ok());
  QCOMPARE(sidecarPath(video, ResultKind::Project), video + ".nsproj");
  QCOMPARE(readAll(video + ".nsproj"), p.toJsonText());  // a plain project file
  auto r = readResultMetadata(video);
  QVERIFY(r.ok() && r->metadata);
  QCOMPARE(r->metadata->json, p.toJsonText());
  QCOMPARE(r->from, video + ".nsproj");
  // A damaged project sidecar is a note; a recipe sidecar is then found instead.
  writeAll(video + ".nsproj", "{\"schema_version\": 1, \"width\": ");
  const nlohmann::json recipe{{"verb", "generate"}, {"prompt", "a cat"}, {"seed", 5}};
  QVERIFY(writeSidecar(video, recipeMetadata(recipe.dump())).ok());
  r = readResultMetadata(video);
  QVERIFY(r.ok() && r->metadata && r->metadata->kind == ResultKind::Recipe);
  QCOMPARE(nlohmann::json::parse(r->metadata->json), recipe);
  QVERIFY2(r->notes.size() == 1 && contains(r->notes[0], video + ".nsproj"), notesOf(*r));
  fs::remove(video + ".nsrecipe");
  r = readResultMetadata(video);
  QVERIFY(r.ok() && !r->metadata && r->notes.size() == 1);
}

NS_REGISTER_TEST(TstPngMetadata, initTestCase, projectRoundTripsAndPixelsStay, recipeRoundTripsCompressedOrNot,
                 relativeSourcePathsBecomeAbsolute, rewritingReplacesTheChunk, badCrcIsANoteAndTheImageStillDecodes,
                 truncatedFileIsANote, hugeLengthsAreNotesNotAllocations, zlibBombIsRefused, badEnvelopesAreNotes,
                 notAPngIsAnError, plainImagesHaveNoMetadata, videoSidecarsRoundTrip, cleanupTestCase)
#ifdef NS_HAVE_QTEST
#include "tst_png_metadata.moc"
#endif
