#pragma once
// unescapeHtml: the part of CLIP's basic_clean that changes ASCII prompts. openai CLIP's
// SimpleTokenizer runs html.unescape(html.unescape(text)) before tokenizing, and diffusers'
// CLIPTokenizer gets the same from ftfy.fix_text, so "fish &amp; chips" is tokenized as
// "fish & chips". ClipTokenizer does not do it; SdTextConditioner applies this first.
//
// Handled as Python's html.unescape does: numeric references (&#38; &#x26;, ';' optional; 0,
// surrogates and values past U+10FFFF give U+FFFD, ASCII controls other than tab/LF/CR vanish;
// C1 controls &#128;..&#159; are not remapped through Windows-1252) and the named references artists type:
// &amp; &lt; &gt; &quot; &nbsp; &copy; &reg; (';' optional, as HTML5 allows for these) and &apos;
// (';' required). Other named references stay as written (Python knows all 2,231 HTML5 names;
// prompts do not use them). Pure function, thread-safe.

#include <string>

namespace ns::sd {

std::string unescapeHtml(const std::string& text);

}  // namespace ns::sd
