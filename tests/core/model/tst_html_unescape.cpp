// Tests core/model/sd/html_unescape.h against Python's html.unescape (expected values worked out
// from CPython 3.11's Lib/html/__init__.py rules, noted per case).
#include "tests/support/ns_test.h"

#include "core/model/sd/html_unescape.h"

class TstHtmlUnescape : public QObject {
  Q_OBJECT
 private slots:
  void namedReferences();
  void numericReferences();
  void leavesOtherTextAlone();
};

void TstHtmlUnescape::namedReferences() {
  using ns::sd::unescapeHtml;
  QCOMPARE(unescapeHtml("fish &amp; chips"), std::string("fish & chips"));
  QCOMPARE(unescapeHtml("&lt;3 &gt; &quot;x&quot; it&apos;s"), std::string("<3 > \"x\" it's"));
  // Legacy names match without ';' (also as a prefix: "&ampx" -> "&x"); "apos" needs it.
  QCOMPARE(unescapeHtml("&amp &ampx &lt3 &apos"), std::string("& &x <3 &apos"));
  // One pass unescapes once; CLIP applies it twice.
  QCOMPARE(unescapeHtml("&amp;amp;"), std::string("&amp;"));
  QCOMPARE(unescapeHtml(unescapeHtml("&amp;amp;")), std::string("&"));
  QCOMPARE(unescapeHtml("&copy; &nbsp;"), std::string("\xC2\xA9 \xC2\xA0"));
}

void TstHtmlUnescape::numericReferences() {
  using ns::sd::unescapeHtml;
  QCOMPARE(unescapeHtml("&#38; &#x26; &#X26 &#65bc"), std::string("& & & Abc"));
  QCOMPARE(unescapeHtml("&#233;&#x1F600;"), std::string("\xC3\xA9\xF0\x9F\x98\x80"));
  // 0, surrogates and > U+10FFFF become U+FFFD; ASCII controls vanish, tab stays.
  QCOMPARE(unescapeHtml("a&#0;b&#xD800;c&#99999999;d"), std::string("a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD" "d"));
  QCOMPARE(unescapeHtml("a&#1;b&#9;c"), std::string("ab\tc"));
}

void TstHtmlUnescape::leavesOtherTextAlone() {
  using ns::sd::unescapeHtml;
  QCOMPARE(unescapeHtml("R&D &foo; & &# &#x; a&b"), std::string("R&D &foo; & &# &#x; a&b"));
  QCOMPARE(unescapeHtml(""), std::string());
  QCOMPARE(unescapeHtml("caf\xC3\xA9"), std::string("caf\xC3\xA9"));
}

NS_REGISTER_TEST(TstHtmlUnescape, namedReferences, numericReferences, leavesOtherTextAlone)
#ifdef NS_HAVE_QTEST  // moc output exists only in Qt builds
#include "tst_html_unescape.moc"
#endif
