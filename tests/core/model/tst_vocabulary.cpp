// Tests core/model/vocabulary.h: the fixed word list (ids 0/1 reserved, no duplicates, every
// caption word present), captions for every colour/shape/background, tokenize (case,
// punctuation, unknown words, padding, truncation) and parse (pairs in order, background).
#include "tests/support/ns_test.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/model/vocabulary.h"

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& w : v) s += (s.empty() ? "" : ",") + w;
  return s;
}

int64_t id(const std::string& w) { return ns::Vocabulary::indexOf(ns::Vocabulary::words(), w); }

}  // namespace

class TstVocabulary : public QObject {
  Q_OBJECT
 private slots:
  void wordListIsFixedAndComplete();
  void captionsUseOnlyKnownWordsAndParseBack();
  void tokenizeNormalisesCaseAndPunctuation();
  void tokenizeReportsUnknownWords();
  void tokenizePadsAndTruncates();
  void parseFindsPairsAndBackground();
};

void TstVocabulary::wordListIsFixedAndComplete() {
  using V = ns::Vocabulary;
  const auto& w = V::words();
  QCOMPARE(w[0], std::string("<pad>"));
  QCOMPARE(w[1], std::string("<unk>"));
  QVERIFY2(V::colours().size() >= 8, "colours: " + join(V::colours()));
  QVERIFY2(V::shapes().size() >= 6, "shapes: " + join(V::shapes()));
  QVERIFY2(V::backgrounds().size() >= 7, "backgrounds: " + join(V::backgrounds()));
  const std::set<std::string> unique(w.begin(), w.end());
  QVERIFY2(unique.size() == w.size(), "duplicate word in " + join(w));
  for (const char* req : {"a", "and", "on", "in", "the", "an", "with", "of", "big", "small"}) {
    QVERIFY2(id(req) >= 2, std::string("missing word ") + req);
  }
  for (const auto* list : {&V::colours(), &V::shapes(), &V::backgrounds()}) {
    for (const auto& x : *list) QVERIFY2(id(x) >= 2, "missing word " + x);
  }
  for (const char* req : {"ball", "box", "star", "ring", "triangle", "heart"}) {
    QVERIFY2(V::indexOf(V::shapes(), req) >= 0, std::string("missing shape ") + req);
  }
  for (const char* req : {"sky", "grass", "sea", "desert", "night", "snow", "room"}) {
    QVERIFY2(V::indexOf(V::backgrounds(), req) >= 0, std::string("missing background ") + req);
  }
  QCOMPARE(V::indexOf(V::colours(), "dragon"), -1);
  QCOMPARE(V::indexOf(V::shapes(), "ball"), 0);
}

void TstVocabulary::captionsUseOnlyKnownWordsAndParseBack() {
  using V = ns::Vocabulary;
  ns::SceneSpec one;
  one.background = "grass";
  one.objects.push_back({"ball", "red", {}});
  one.objects.push_back({"box", "blue", {}});
  QCOMPARE(V::caption(one), std::string("a red ball and a blue box on grass"));
  ns::SceneSpec vowel;
  vowel.background = "desert";
  vowel.objects.push_back({"star", "orange", {}});
  QCOMPARE(V::caption(vowel), std::string("an orange star in the desert"));

  // Every colour × shape × background, with three objects (the longest captions).
  int checked = 0;
  size_t longest = 0;
  for (const auto& bg : V::backgrounds()) {
    for (size_t c = 0; c < V::colours().size(); ++c) {
      for (size_t s = 0; s < V::shapes().size(); ++s) {
        ns::SceneSpec spec;
        spec.background = bg;
        for (size_t k = 0; k < 3; ++k) {
          spec.objects.push_back({V::shapes()[(s + k) % V::shapes().size()],
                                  V::colours()[(c + 3 * k) % V::colours().size()], {}});
        }
        const std::string cap = V::caption(spec);
        std::vector<std::string> unknown;
        const auto ids = V::tokenize(cap, &unknown);
        QVERIFY2(unknown.empty(), "caption '" + cap + "' has unknown words " + join(unknown));
        size_t used = 0;
        while (used < ids.size() && ids[used] != 0) ++used;
        longest = std::max(longest, used);
        QVERIFY2(used < ids.size(), "caption '" + cap + "' does not fit in kMaxTokens");
        const ns::SceneSpec back = V::parse(cap);
        QVERIFY2(back.background == bg, "parse('" + cap + "') background " + back.background);
        QCOMPARE(back.objects.size(), spec.objects.size());
        for (size_t k = 0; k < 3; ++k) {
          QVERIFY2(back.objects[k].colour == spec.objects[k].colour && back.objects[k].shape == spec.objects[k].shape,
                   "parse('" + cap + "') object " + std::to_string(k) + " = " + back.objects[k].colour + " " +
                       back.objects[k].shape);
        }
        ++checked;
      }
    }
  }
  QVERIFY2(checked == int(V::backgrounds().size() * V::colours().size() * V::shapes().size()),
           "checked " + std::to_string(checked));
  QVERIFY2(longest >= 12 && longest <= size_t(V::kMaxTokens), "longest caption " + std::to_string(longest) + " tokens");
}

void TstVocabulary::tokenizeNormalisesCaseAndPunctuation() {
  using V = ns::Vocabulary;
  std::vector<std::string> unknown;
  const auto ids = V::tokenize("A Red BALL, on...grass!", &unknown);
  QVERIFY2(unknown.empty(), "unknown: " + join(unknown));
  QCOMPARE(int(ids.size()), V::kMaxTokens);
  const std::vector<int64_t> want{id("a"), id("red"), id("ball"), id("on"), id("grass")};
  for (size_t i = 0; i < want.size(); ++i) QCOMPARE(ids[i], want[i]);
  for (size_t i = want.size(); i < ids.size(); ++i) QCOMPARE(ids[i], int64_t(0));
  // Round trip: the ids name the words back.
  std::string back;
  for (int64_t t : ids) {
    if (t != 0) back += (back.empty() ? "" : " ") + V::words()[size_t(t)];
  }
  QCOMPARE(back, std::string("a red ball on grass"));
  // The empty prompt is all padding (the unconditional row).
  const auto empty = V::tokenize("  ,; ");
  for (int64_t t : empty) QCOMPARE(t, int64_t(0));
}

void TstVocabulary::tokenizeReportsUnknownWords() {
  using V = ns::Vocabulary;
  std::vector<std::string> unknown;
  const auto ids = V::tokenize("a red Dragon on mars <pad>", &unknown);
  QVERIFY2(unknown.size() == 3, "unknown: " + join(unknown));
  QCOMPARE(unknown[0], std::string("dragon"));
  QCOMPARE(unknown[1], std::string("mars"));
  QCOMPARE(unknown[2], std::string("pad"));  // brackets split: "<pad>" cannot be typed as id 0
  QCOMPARE(ids[0], id("a"));
  QCOMPARE(ids[1], id("red"));
  QCOMPARE(ids[2], int64_t(1));
  QCOMPARE(ids[3], id("on"));
  QCOMPARE(ids[4], int64_t(1));
  QCOMPARE(ids[5], int64_t(1));
  QCOMPARE(ids[6], int64_t(0));
  // Without an output list it still maps to <unk>.
  const auto zebra = V::tokenize("zebra");
  QCOMPARE(zebra[0], int64_t(1));
}

void TstVocabulary::tokenizePadsAndTruncates() {
  using V = ns::Vocabulary;
  std::string longPrompt;
  for (int i = 0; i < 20; ++i) longPrompt += "red ";
  longPrompt += "unicorn";
  std::vector<std::string> unknown;
  const auto ids = V::tokenize(longPrompt, &unknown);
  QCOMPARE(int(ids.size()), V::kMaxTokens);
  for (int64_t t : ids) QCOMPARE(t, id("red"));
  QVERIFY2(unknown.size() == 1 && unknown[0] == "unicorn", "unknown past the limit: " + join(unknown));
}

void TstVocabulary::parseFindsPairsAndBackground() {
  using V = ns::Vocabulary;
  ns::SceneSpec s = V::parse("A big red ball and a small Blue box, in the desert");
  QCOMPARE(int(s.objects.size()), 2);
  QCOMPARE(s.objects[0].colour, std::string("red"));
  QCOMPARE(s.objects[0].shape, std::string("ball"));
  QCOMPARE(s.objects[1].colour, std::string("blue"));
  QCOMPARE(s.objects[1].shape, std::string("box"));
  QCOMPARE(s.background, std::string("desert"));
  // A background without a preposition is still found; lone colours/shapes make no object.
  s = V::parse("grass with a green star and red and a ball");
  QCOMPARE(s.background, std::string("grass"));
  QCOMPARE(int(s.objects.size()), 1);
  QCOMPARE(s.objects[0].colour, std::string("green"));
  // "on" followed by a non-background word does not invent a background.
  s = V::parse("a pink heart on a dragon");
  QCOMPARE(s.background, std::string(""));
  QCOMPARE(int(s.objects.size()), 1);
  s = V::parse("");
  QVERIFY(s.objects.empty() && s.background.empty());
}

NS_REGISTER_TEST(TstVocabulary, wordListIsFixedAndComplete, captionsUseOnlyKnownWordsAndParseBack,
                 tokenizeNormalisesCaseAndPunctuation, tokenizeReportsUnknownWords, tokenizePadsAndTruncates,
                 parseFindsPairsAndBackground)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_vocabulary.moc"
#endif
