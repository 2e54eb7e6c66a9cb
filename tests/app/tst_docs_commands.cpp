// Every noisestudio-cli command line quoted in README.md and docs/*.md is accepted as written: run
// from a scratch folder (examples/ linked in), placeholders (N, PROMPT, A:B ...) filled in and heavy
// settings made small (steps, samples, layouts, candidates), none may end in a usage error (exit 1,
// CLI11's "not expected" / "is required" ...). A missing input file (exit 2) or a model the machine
// lacks (exit 3) is the command working as documented, not a usage error; a command still running
// after its time limit had its arguments accepted too.
#include "tests/support/ns_test.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTextStream>

namespace {

struct QuotedCommand {
  QString file;  // relative to the source tree
  int line = 0;
  QString text;  // as written, continuation lines joined
};

QString sourceDir() { return QString::fromUtf8(NS_SOURCE_DIR); }

// A trailing "  # comment" outside quotes.
QString stripComment(const QString& s) {
  QChar quote;
  for (int i = 0; i < s.size(); ++i) {
    const QChar c = s[i];
    if (!quote.isNull()) {
      if (c == quote) quote = QChar();
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && i > 0 && s[i - 1].isSpace()) {
      return s.left(i).trimmed();
    }
  }
  return s.trimmed();
}

// Shell-like words: whitespace separated, "..." and '...' group (quotes removed).
QStringList shellWords(const QString& s) {
  QStringList words;
  QString cur;
  bool inWord = false;
  QChar quote;
  for (const QChar c : s) {
    if (!quote.isNull()) {
      if (c == quote) quote = QChar();
      else cur += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      inWord = true;
    } else if (c.isSpace()) {
      if (inWord) words << cur;
      cur.clear();
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words << cur;
  return words;
}

// Command lines in indented or fenced code blocks, and inline `noisestudio-cli ... --option` spans.
QList<QuotedCommand> quotedCommands(const QString& relPath) {
  QList<QuotedCommand> out;
  QFile f(sourceDir() + "/" + relPath);
  if (!f.open(QIODevice::ReadOnly)) return out;
  const QStringList lines = QString::fromUtf8(f.readAll()).split('\n');
  bool fenced = false;
  for (int i = 0; i < lines.size(); ++i) {
    const QString& raw = lines[i];
    if (raw.trimmed().startsWith("```")) {
      fenced = !fenced;
      continue;
    }
    const bool block = fenced || raw.startsWith("    ");
    QString t = raw.trimmed();
    if (t.startsWith("$ ")) t = t.mid(2);
    if (block && t.startsWith("noisestudio-cli ")) {
      QuotedCommand c{relPath, i + 1, QString()};
      QString joined = t;
      while (joined.endsWith('\\') && i + 1 < lines.size()) joined = joined.chopped(1) + " " + lines[++i].trimmed();
      c.text = stripComment(joined);
      out << c;
      continue;
    }
    static const QRegularExpression span("`(noisestudio-cli [^`]*)`");
    for (auto it = span.globalMatch(raw); it.hasNext();) {
      const QString cmd = it.next().captured(1);
      if (cmd.contains(" -") && !cmd.contains("...") && !cmd.contains("…")) out << QuotedCommand{relPath, i + 1, cmd};
    }
  }
  return out;
}

// The documented command with placeholders filled and heavy settings made small.
QStringList runnable(const QString& text, const QString& scratch) {
  QStringList w = shellWords(text);
  w.removeFirst();  // noisestudio-cli
  // Optional parts, "[--partition P]", are left out.
  QStringList kept;
  int depth = 0;
  for (const QString& word : w) {
    if (word.startsWith('[')) ++depth;
    if (depth == 0) kept << word;
    if (word.endsWith(']')) depth = std::max(0, depth - 1);
  }
  static const QMap<QString, QString> placeholders{
      {"N", "4"},      {"S", "1"},         {"K", "2"},       {"G", "0"},         {"C", "1"},
      {"M", "1G"},     {"T", "00:10:00"},  {"A:B", "2:4"},   {"PROMPT", "a red ball"},
      {"P", "debug"},  {"PROJECT", "examples/red_ball_on_grass.nsproj"},
      {"P.nsproj", "examples/red_ball_on_grass.nsproj"}, {"ball.nsproj", "examples/red_ball_on_grass.nsproj"}};
  // Settings that only change how long a run takes, made small.
  static const QMap<QString, QString> small{{"--steps", "2"},  {"--samples", "4"}, {"--layouts", "1"},
                                            {"--candidates", "4"}};
  for (int i = 0; i < kept.size(); ++i) {
    if (placeholders.contains(kept[i])) kept[i] = placeholders[kept[i]];
    if (kept[i].startsWith("/shared/")) kept[i] = scratch + kept[i];  // farm job folders: scratch space
    if (i > 0 && small.contains(kept[i - 1])) kept[i] = small[kept[i - 1]];
    if (i > 0 && kept[i - 1] == "--frames" && !kept[i].contains(':')) kept[i] = "2";
    if (i > 0 && kept[i - 1] == "--candidates-range") kept[i] = "2:4";
  }
  return kept;
}

}  // namespace

class TstDocsCommands : public QObject {
  Q_OBJECT
 private slots:
  void everyQuotedCommandParses();
};

void TstDocsCommands::everyQuotedCommandParses() {
  QStringList docs{"README.md"};
  QDirIterator it(sourceDir() + "/docs", {"*.md"}, QDir::Files, QDirIterator::Subdirectories);
  while (it.hasNext()) docs << QDir(sourceDir()).relativeFilePath(it.next());
  docs.sort();
  QList<QuotedCommand> commands;
  for (const QString& d : docs) commands += quotedCommands(d);
  qInfo("%lld command lines quoted in %lld files", static_cast<long long>(commands.size()),
        static_cast<long long>(docs.size()));
  QVERIFY2(commands.size() >= 30, "expected the README's and docs' command lines; the extraction found too few");

  QTemporaryDir scratch;
  QVERIFY(scratch.isValid());
  QVERIFY(QFile::link(sourceDir() + "/examples", scratch.path() + "/examples"));
  QDir().mkpath(scratch.path() + "/shared");
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.insert("NS_LOG_LEVEL", "warn");
  env.insert("NS_THREADS", "1");
  env.remove("SLURM_CONF");
  QStringList failures;
  QElapsedTimer total;
  total.start();
  for (const QuotedCommand& c : commands) {
    const QStringList args = runnable(c.text, scratch.path());
    QProcess p;
    p.setProcessEnvironment(env);
    p.setWorkingDirectory(scratch.path());
    p.start(QString::fromUtf8(NS_CLI_PATH), args);
    // Usage errors come back within milliseconds; a command still working after 8 s had its
    // arguments accepted and is stopped (its output is scratch).
    const bool finished = p.waitForFinished(8000);
    if (!finished) {
      p.kill();
      p.waitForFinished();
    }
    const QString err = QString::fromUtf8(p.readAllStandardError());
    const int code = finished && p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    qInfo("%s:%d exit %s: noisestudio-cli %s", qPrintable(c.file), c.line,
          finished ? qPrintable(QString::number(code)) : "(still running at 8 s: arguments accepted)",
          qPrintable(args.join(' ')));
    if (finished && (code == 1 || p.exitStatus() != QProcess::NormalExit))
      failures << QString("%1:%2: `%3` -> exit %4: %5")
                      .arg(c.file)
                      .arg(c.line)
                      .arg(c.text)
                      .arg(p.exitStatus() == QProcess::NormalExit ? QString::number(code) : QString("crash"))
                      .arg(err.trimmed().left(300));
  }
  qInfo("ran in %.1f s", total.elapsed() / 1000.0);
  QVERIFY2(failures.isEmpty(), qPrintable("usage errors in quoted commands:\n" + failures.join('\n')));
}

NS_REGISTER_TEST(TstDocsCommands, everyQuotedCommandParses)
#ifdef NS_HAVE_QTEST
#include "tst_docs_commands.moc"
#endif
