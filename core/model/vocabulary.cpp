#include "core/model/vocabulary.h"

#include <cctype>

namespace ns {

namespace {

// Articles that may sit between "on"/"in"/"at" and the background word ("in the desert").
bool isArticle(const std::string& w) { return w == "a" || w == "an" || w == "the"; }

// Size words parse() skips between a colour and its shape ("a red big ball").
bool isSizeWord(const std::string& w) { return w == "big" || w == "small"; }

// Lower-cased words of `prompt`; anything that is not a letter or digit separates words, so
// punctuation never glues to a word ("ball," -> "ball").
std::vector<std::string> splitWords(const std::string& prompt) {
  std::vector<std::string> out;
  std::string cur;
  for (const char ch : prompt) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 && c < 128) {
      cur.push_back(static_cast<char>(std::tolower(c)));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// The phrase that names a background in captions. Every word here is in words().
std::string backgroundPhrase(const std::string& background) {
  if (background == "sky") return "in the sky";
  if (background == "grass") return "on grass";
  if (background == "sea") return "on the sea";
  if (background == "desert") return "in the desert";
  if (background == "night") return "at night";
  if (background == "snow") return "on snow";
  if (background == "room") return "in a room";
  return "on " + background;
}

}  // namespace

const std::vector<std::string>& Vocabulary::colours() {
  // Ten hues that stay apart after shading (no grey: shaded white would read as grey).
  static const std::vector<std::string> k{"red",    "orange", "yellow", "green", "blue",
                                          "purple", "pink",   "white",  "black", "brown"};
  return k;
}

const std::vector<std::string>& Vocabulary::shapes() {
  static const std::vector<std::string> k{"ball", "box", "star", "ring", "triangle", "heart"};
  return k;
}

const std::vector<std::string>& Vocabulary::backgrounds() {
  static const std::vector<std::string> k{"sky", "grass", "sea", "desert", "night", "snow", "room"};
  return k;
}

const std::vector<std::string>& Vocabulary::words() {
  // Order is part of the shipped model (token ids): append new words at the end only.
  static const std::vector<std::string> k = [] {
    std::vector<std::string> w{"<pad>", "<unk>", "a",    "an",  "and", "on",  "in",
                               "at",    "the",   "with", "of",  "big", "small"};
    for (const auto& c : colours()) w.push_back(c);
    for (const auto& s : shapes()) w.push_back(s);
    for (const auto& b : backgrounds()) w.push_back(b);
    return w;
  }();
  return k;
}

int Vocabulary::indexOf(const std::vector<std::string>& list, const std::string& word) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i] == word) return static_cast<int>(i);
  }
  return -1;
}

std::string Vocabulary::caption(const SceneSpec& spec) {
  std::string out;
  for (size_t i = 0; i < spec.objects.size(); ++i) {
    const SceneObject& o = spec.objects[i];
    if (i > 0) out += " and ";
    const bool vowel = !o.colour.empty() && std::string("aeiou").find(o.colour[0]) != std::string::npos;
    out += vowel ? "an " : "a ";
    out += o.colour + " " + o.shape;
  }
  if (!spec.background.empty()) {
    if (!out.empty()) out += " ";
    out += backgroundPhrase(spec.background);
  }
  return out;
}

std::vector<int64_t> Vocabulary::tokenize(const std::string& prompt, std::vector<std::string>* unknown) {
  std::vector<int64_t> ids(kMaxTokens, 0);
  const std::vector<std::string> ws = splitWords(prompt);
  const std::vector<std::string>& vocab = words();
  size_t n = 0;
  for (const std::string& w : ws) {
    int id = indexOf(vocab, w);
    // "<pad>"/"<unk>" cannot be typed (the brackets split), so ids 0/1 only come from here.
    if (id < 2) {
      id = 1;
      if (unknown != nullptr) unknown->push_back(w);
    }
    if (n < ids.size()) ids[n++] = id;  // truncated past kMaxTokens, unknown words still listed
  }
  return ids;
}

SceneSpec Vocabulary::parse(const std::string& prompt) {
  SceneSpec spec;
  const std::vector<std::string> ws = splitWords(prompt);
  const auto& cs = colours();
  const auto& ss = shapes();
  const auto& bs = backgrounds();
  std::string fallbackBackground;
  for (size_t i = 0; i < ws.size(); ++i) {
    if (indexOf(cs, ws[i]) >= 0) {
      size_t j = i + 1;
      while (j < ws.size() && isSizeWord(ws[j])) ++j;
      if (j < ws.size() && indexOf(ss, ws[j]) >= 0) {
        SceneObject o;
        o.colour = ws[i];
        o.shape = ws[j];
        spec.objects.push_back(o);
        i = j;
        continue;
      }
    }
    if (ws[i] == "on" || ws[i] == "in" || ws[i] == "at") {
      size_t j = i + 1;
      while (j < ws.size() && isArticle(ws[j])) ++j;
      if (j < ws.size() && indexOf(bs, ws[j]) >= 0 && spec.background.empty()) spec.background = ws[j];
    } else if (fallbackBackground.empty() && indexOf(bs, ws[i]) >= 0) {
      fallbackBackground = ws[i];  // "grass, a red ball": a background word without a preposition
    }
  }
  if (spec.background.empty()) spec.background = fallbackBackground;
  return spec;
}

}  // namespace ns
