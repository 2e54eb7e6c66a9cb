// libFuzzer target: the CLIP BPE tokenizer (core/model/clip_tokenizer.h) on arbitrary prompt
// bytes, with the small fixed vocabulary of tests/data/clip_tiny. Checks encode()'s promises:
// exactly contextLength ids, wrapped in start/end tokens.
#include "core/model/clip_tokenizer.h"
#include "tests/fuzz/fuzz_common.h"

namespace {
const ns::ClipTokenizer& tokenizer() {
  static const ns::ClipTokenizer tok = [] {
    const std::string dir = NS_FUZZ_CLIP_DIR;
    auto t = ns::ClipTokenizer::fromFiles(dir + "/vocab.json", dir + "/merges.txt");
    if (!t.ok()) nsfuzz::fail("cannot load the fixture tokenizer: " + t.error().message);
    return std::move(t.value());
  }();
  return tok;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nsfuzz::quietLogs();
  (void)tokenizer();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the context length (2..64 and the real 77; encode() needs room for the
  // start and end tokens) so truncation and padding edges get exercised; the rest is the prompt.
  const int contextLength = data[0] % 64 == 0 ? 77 : 1 + int(data[0] % 64);
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  const ns::ClipTokenizer& tok = tokenizer();
  const ns::ClipTokens t = tok.encode(text, contextLength);
  if (int(t.ids.size()) != contextLength) nsfuzz::fail("encode did not return contextLength ids");
  if (t.ids.front() != tok.startId()) nsfuzz::fail("first id is not <|startoftext|>");
  if (t.ids.back() != tok.endId()) nsfuzz::fail("ids do not end in <|endoftext|>");
  const ns::ClipTokens padded = tok.encode(text, 77, tok.idOf("!"));
  if (padded.ids.size() != 77) nsfuzz::fail("encode with a pad id did not return 77 ids");
  for (const std::string& piece : ns::ClipTokenizer::preTokenize(text)) {
    if (piece.empty()) nsfuzz::fail("preTokenize returned an empty piece");
    (void)tok.bpe(piece);
  }
  return 0;
}
