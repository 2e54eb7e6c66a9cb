// Tests core/model/clip_tokenizer.h with the hand-written fixture tests/data/clip_tiny/
// (vocab.json: 38 tokens; merges.txt: 8 ranked merges). Expected ids are worked out by hand in
// the comments from those two files.
#include "tests/support/ns_test.h"

#include <filesystem>
#include <fstream>

#include "core/model/clip_tokenizer.h"

namespace {
std::string fixture(const std::string& name) { return nstest::dataDir() + "/clip_tiny/" + name; }

std::string join(const std::vector<int64_t>& v) {
  std::string s;
  for (auto x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}
std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " | ") + x;
  return s;
}
}  // namespace

class TstClipTokenizer : public QObject {
  Q_OBJECT
 private slots:
  void preTokenizeFollowsClipPattern();
  void bpeAppliesMergesByRank();
  void encodeWrapsAndPads();
  void encodeMixedPrompt();
  void unknownBytesAreReported();
  void longPromptIsTruncated();
  void badFilesGiveErrors();
};

void TstClipTokenizer::preTokenizeFollowsClipPattern() {
  // Whitespace collapses, case folds; 's is a contraction; digits split one by one; a run of
  // punctuation stays together; "<|endoftext|>" is kept whole.
  auto p = ns::ClipTokenizer::preTokenize("  Hello,\n\tIT's 42   cats!! <|endoftext|> ");
  const std::vector<std::string> want{"hello", ",", "it", "'s", "4", "2", "cats", "!!", "<|endoftext|>"};
  QVERIFY2(p == want, "got: " + join(p));
  // As in CLIP's regex, a punctuation run swallows the "<|" of a special token that follows it
  // without a space.
  auto r = ns::ClipTokenizer::preTokenize("a!!<|endoftext|>");
  QVERIFY2((r == std::vector<std::string>{"a", "!!<|", "endoftext", "|>"}), "got: " + join(r));
  // "!!'s": the punctuation run swallows the apostrophe (the regex tries 's only where ' starts a
  // match, and the run starts at the first '!').
  auto q = ns::ClipTokenizer::preTokenize("x!!'s");
  QVERIFY2((q == std::vector<std::string>{"x", "!!'", "s"}), "got: " + join(q));
  QVERIFY(ns::ClipTokenizer::preTokenize(" \n ").empty());
}

void TstClipTokenizer::bpeAppliesMergesByRank() {
  auto tok = ns::ClipTokenizer::fromFiles(fixture("vocab.json"), fixture("merges.txt"));
  QVERIFY2(tok.ok(), tok.ok() ? "" : tok.error().message);
  QCOMPARE(tok->vocabSize(), size_t(38));
  // hello -> h e l l o</w>: rank 2 (h e) -> he l l o</w>; rank 3 (l o</w>) -> he l lo</w>;
  // rank 4 (he l) -> hel lo</w>; rank 5 -> hello</w>.
  QVERIFY2((tok->bpe("hello") == std::vector<std::string>{"hello</w>"}), join(tok->bpe("hello")));
  // cat -> c a t</w> -> (a t</w>, rank 0) c at</w> -> (rank 1) cat</w>.
  QVERIFY2((tok->bpe("cat") == std::vector<std::string>{"cat</w>"}), join(tok->bpe("cat")));
  // cats: "t" is not word-final, so "a t</w>" never applies: c a t s</w>.
  QVERIFY2((tok->bpe("cats") == std::vector<std::string>{"c", "a", "t", "s</w>"}), join(tok->bpe("cats")));
  // hell -> h e l l</w> -> he l l</w> -> hel l</w> (no merge for "hel l</w>").
  QVERIFY2((tok->bpe("hell") == std::vector<std::string>{"hel", "l</w>"}), join(tok->bpe("hell")));
}

void TstClipTokenizer::encodeWrapsAndPads() {
  auto tok = ns::ClipTokenizer::fromFiles(fixture("vocab.json"), fixture("merges.txt"));
  QVERIFY(tok.ok());
  QCOMPARE(tok->startId(), int64_t(34));
  QCOMPARE(tok->endId(), int64_t(35));
  // "A  Cat\n" -> "a cat" -> a</w>=13, cat</w>=27, wrapped in 34 ... 35 and padded with 35 to 8.
  auto r = tok->encode("A  Cat\n", 8);
  QVERIFY2((r.ids == std::vector<int64_t>{34, 13, 27, 35, 35, 35, 35, 35}), join(r.ids));
  QVERIFY(r.unknownPieces.empty());
  QVERIFY(!r.truncated);
  // SD 2.x pads with "!" (id 9) after the end token.
  QCOMPARE(tok->idOf("!"), int64_t(9));
  QCOMPARE(tok->idOf("nope"), int64_t(-1));
  auto sd2 = tok->encode("a cat", 6, tok->idOf("!"));
  QVERIFY2((sd2.ids == std::vector<int64_t>{34, 13, 27, 35, 9, 9}), join(sd2.ids));
  // Empty prompt: start, end, padding (SD's unconditional ids). Default length 77.
  auto e = tok->encode("");
  QCOMPARE(int(e.ids.size()), 77);
  QCOMPARE(e.ids[0], int64_t(34));
  QCOMPARE(e.ids[1], int64_t(35));
  QCOMPARE(e.ids[76], int64_t(35));
}

void TstClipTokenizer::encodeMixedPrompt() {
  auto tok = ns::ClipTokenizer::fromFiles(fixture("vocab.json"), fixture("merges.txt"));
  QVERIFY(tok.ok());
  // hello=31 ,</w>=36 | it -> i t</w> = 4,21 | 's -> ' s</w> -> 's</w> (rank 6) = 32 |
  // 4</w>=24 2</w>=25 | cats -> c a t s</w> = 1,0,8,20 | !! -> ! !</w> -> !!</w> (rank 7) = 33.
  auto r = tok->encode("Hello, it's 42 cats!!", 16);
  const std::vector<int64_t> want{34, 31, 36, 4, 21, 32, 24, 25, 1, 0, 8, 20, 33, 35, 35, 35};
  QVERIFY2(r.ids == want, "got " + join(r.ids) + " want " + join(want));
  QVERIFY2(r.unknownPieces.empty(), join(r.unknownPieces));
}

void TstClipTokenizer::unknownBytesAreReported() {
  auto tok = ns::ClipTokenizer::fromFiles(fixture("vocab.json"), fixture("merges.txt"));
  QVERIFY(tok.ok());
  // "cé" = 63 C3 A9: byte C3 prints as U+00C3 "Ã", A9 as U+00A9 "©" (CLIP's bytes_to_unicode keeps
  // printable Latin-1); neither is in the fixture vocabulary, so both are reported and dropped.
  auto r = tok->encode("cé", 5);
  QVERIFY2((r.ids == std::vector<int64_t>{34, 1, 35, 35, 35}), join(r.ids));
  QVERIFY2((r.unknownPieces == std::vector<std::string>{"\xC3\x83", "\xC2\xA9</w>"}), join(r.unknownPieces));
  // A control byte (0x01) is not printable: it maps to U+0101 ("ā"), the second remapped byte.
  auto bp = tok->bpe(std::string("\x01", 1));
  QVERIFY2((bp == std::vector<std::string>{"\xC4\x81</w>"}), join(bp));
}

void TstClipTokenizer::longPromptIsTruncated() {
  auto tok = ns::ClipTokenizer::fromFiles(fixture("vocab.json"), fixture("merges.txt"));
  QVERIFY(tok.ok());
  auto r = tok->encode("hello hello hello hello", 5);
  QVERIFY2((r.ids == std::vector<int64_t>{34, 31, 31, 31, 35}), join(r.ids));
  QVERIFY(r.truncated);
  auto fits = tok->encode("hello hello hello", 5);
  QVERIFY(!fits.truncated);
}

void TstClipTokenizer::badFilesGiveErrors() {
  auto missing = ns::ClipTokenizer::fromFiles(fixture("nope.json"), fixture("merges.txt"));
  QVERIFY(!missing.ok());
  QVERIFY(missing.error().kind == ns::ErrorKind::Io);
  QVERIFY2(missing.error().message.find("nope.json") != std::string::npos, missing.error().message);

  const auto dir = std::filesystem::temp_directory_path() / "ns_tst_clip_tokenizer";
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "merges.txt") << "#version: 0.2\na t</w>\nonly_one_token\n"; }
  auto badMerges = ns::ClipTokenizer::fromFiles(fixture("vocab.json"), (dir / "merges.txt").string());
  QVERIFY(!badMerges.ok());
  QVERIFY2(badMerges.error().message.find("line 3") != std::string::npos, badMerges.error().message);
  { std::ofstream(dir / "vocab.json") << R"({"a": 0, "b": 1})"; }
  auto noSpecial = ns::ClipTokenizer::fromFiles((dir / "vocab.json").string(), fixture("merges.txt"));
  QVERIFY(!noSpecial.ok());
  QVERIFY2(noSpecial.error().message.find("<|startoftext|>") != std::string::npos, noSpecial.error().message);
  std::filesystem::remove_all(dir);
}

NS_REGISTER_TEST(TstClipTokenizer, preTokenizeFollowsClipPattern, bpeAppliesMergesByRank, encodeWrapsAndPads,
                 encodeMixedPrompt, unknownBytesAreReported, longPromptIsTruncated, badFilesGiveErrors)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_clip_tokenizer.moc"
#endif
