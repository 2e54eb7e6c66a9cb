#!/usr/bin/env bash
# slow_search_ranges: a best-of-N `noisestudio-cli search` split into candidate ranges
# (`--candidates-range A:B`, what a farm batch's search tasks run) gives, gathered in range order
# (first strict maximum wins, as in the full search), the same best candidate as the full search:
# the same index, the same score, and the same PNG bytes; every range's scores are the full
# search's scores for those indices. Also: a malformed or out-of-bounds range exits 2 naming it.
# Built-in model, 8 candidates, 4 steps. Usage: slow_search_ranges.sh NOISESTUDIO_CLI
set -uo pipefail
CLI=${1:?usage: $0 NOISESTUDIO_CLI}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# Same thread count everywhere: CPU sums split by thread differ in the last bits (docs/farm.md).
export NS_THREADS=1
ARGS=(search -p "a red ball" --candidates 8 --steps 4 --seed 7 --json)

field() { sed -n "s/^  \"$2\": \(.*\),\{0,1\}\$/\1/p" "$1" | sed 's/,$//' | head -1; }
# The scores array of a --json answer, one number a line.
scores() { sed -n '/"scores": \[/,/\]/p' "$1" | grep -Eo -- '-?[0-9][0-9.eE+-]*'; }

"$CLI" "${ARGS[@]}" -o "$W/full.png" > "$W/full.json" 2> "$W/full.err" || { cat "$W/full.err"; fail "full search failed"; exit 1; }
full_index=$(field "$W/full.json" best_index)
full_score=$(field "$W/full.json" best_score)
echo "full search: best #$full_index score $full_score"
[ "$(scores "$W/full.json" | wc -l)" = 8 ] || fail "full search did not report 8 scores"

best_index=-1 best_score="" best_png=""
: > "$W/gathered_scores"
for a in 0 2 4 6; do
  b=$((a + 2))
  if ! "$CLI" "${ARGS[@]}" --candidates-range "$a:$b" -o "$W/part_$a.png" > "$W/part_$a.json" 2> "$W/part_$a.err"; then
    cat "$W/part_$a.err"; fail "range $a:$b failed"; continue
  fi
  scores "$W/part_$a.json" >> "$W/gathered_scores"
  [ "$(field "$W/part_$a.json" first_index)" = "$a" ] || fail "range $a:$b: first_index is not $a"
  idx=$(field "$W/part_$a.json" best_index)
  sc=$(field "$W/part_$a.json" best_score)
  if [ "$best_index" -lt 0 ] || awk -v x="$sc" -v y="$best_score" 'BEGIN { exit !(x + 0 > y + 0) }'; then
    best_index=$idx best_score=$sc best_png="$W/part_$a.png"
  fi
done
if diff <(scores "$W/full.json") "$W/gathered_scores" > /dev/null; then
  pass "the 4 ranges' scores are the full search's 8 scores"
else
  fail "range scores differ from the full search's"; paste <(scores "$W/full.json") "$W/gathered_scores"
fi
if [ "$best_index" = "$full_index" ] && [ "$best_score" = "$full_score" ]; then
  pass "gathered best #$best_index score $best_score = the full search's"
else
  fail "gathered best #$best_index score $best_score, full search #$full_index score $full_score"
fi
if [ -n "$best_png" ] && cmp -s "$best_png" "$W/full.png"; then
  pass "the gathered best PNG equals the full search's byte for byte"
else
  fail "the gathered best PNG differs from the full search's"
fi

for bad in "6:9" "3:3" "x:2"; do
  "$CLI" "${ARGS[@]}" --candidates-range "$bad" -o "$W/bad.png" > /dev/null 2> "$W/bad.err"
  rc=$?
  if [ $rc = 2 ] && grep -q "range" "$W/bad.err" && [ ! -e "$W/bad.png" ]; then
    pass "--candidates-range $bad: exit 2, names the range"
  else
    fail "--candidates-range $bad: exit $rc: $(cat "$W/bad.err")"
  fi
done

echo "$fails failure(s)"
[ $fails = 0 ]
