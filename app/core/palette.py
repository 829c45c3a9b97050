"""Quick connect: one fuzzy search over every profile's instances, recent sessions, commands
and (soon) tunnels, fast enough to run on each keystroke with 10,000 instances.

    index = PaletteIndex(items)
    index.search("web prd", limit=50) -> [Item, ...]   best first

Ranking: favourites first, then recently used, then match quality. Match quality, best
first: the whole query as a word prefix of the title, as a substring of the title, as a
substring anywhere, then as a subsequence (letters in order), shorter spans better. A query
of several words must match every word. The expensive parts run in C (`str.find`, a compiled
regex per word); a query that extends the previous one searches only the previous matches.

Item kinds are a StrEnum; the UI decides what each kind does. TUNNEL is the seam for saved
tunnels (Enter toggles): the tunnels work adds items of that kind, nothing else changes here.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

_SEPARATORS = " -_./:@="
SCORE_CAP = 1500  # most candidates scored in Python per group of a many-word query


class Kind(StrEnum):
    INSTANCE = "instance"
    COMMAND = "command"
    TUNNEL = "tunnel"  # the tunnels pane adds these; Enter = toggle


@dataclass(frozen=True, slots=True)
class Item:
    kind: Kind
    title: str  # what is shown and matched first (an instance's name or id)
    detail: str = ""  # the second line: id, profile, region, IP; also matched
    profile: str = ""
    ref: Any = field(default=None, compare=False)  # the row, the command's callable, ...
    favourite: bool = False
    recent: float = 0.0  # epoch of the last use; 0 = never
    extra: str = ""  # more text to match (tags), not shown

    def tier(self) -> int:
        return 0 if self.favourite else 1 if self.recent else 2


def _subsequence(word: str) -> re.Pattern[str]:
    """Letters in order within one line, linear time: `a[^b\n]*+b[^c\n]*+c` never backtracks."""
    parts = [re.escape(word[0])]
    for ch in word[1:]:
        parts.append(f"[^{re.escape(ch)}\n]*+{re.escape(ch)}")
    return re.compile("".join(parts))


class PaletteIndex:
    """Items sorted by title once; each search is a few regex scans over two text blobs
    (one line per item), so the per-keystroke cost is C scanning plus Python per result."""

    def __init__(self, items: Iterable[Item]) -> None:
        self.items: list[Item] = sorted(items, key=lambda i: (i.title.lower(), i.detail))
        titles = [i.title.lower().replace("\n", " ") for i in self.items]
        hays = [f"{t} {i.detail.lower()} {i.extra.lower()}".replace("\n", " ")
                for t, i in zip(titles, self.items, strict=True)]
        self._titles = titles
        self._hays = hays
        self._title_blob, self._title_starts = _blob(titles)
        self._hay_blob, self._hay_starts = _blob(hays)
        self._pinned = [n for n, i in enumerate(self.items) if i.tier() < 2]

    def __len__(self) -> int:
        return len(self.items)

    def _pinned_sorted(self, indices: Iterable[int]) -> list[int]:
        items = self.items
        return sorted(indices, key=lambda n: (items[n].tier(), -items[n].recent))

    def score(self, n: int, words: Sequence[str],
              subs: Sequence[re.Pattern[str]] | None = None) -> int | None:
        """Lower is better; None = no match. The worst word decides."""
        title, hay = self._titles[n], self._hays[n]
        worst = 0
        subs = subs or [_subsequence(w) for w in words]
        for word, sub in zip(words, subs, strict=True):
            at = title.find(word)
            if at == 0:
                s = 0
            elif at > 0 and title[at - 1] in _SEPARATORS:
                s = 10 + at
            elif at > 0:
                s = 100 + at
            elif word in hay:
                s = 300
            else:
                match = sub.search(hay)
                if match is None:
                    return None
                s = 400 + match.end() - match.start()
            worst = max(worst, s)
        return worst

    def search(self, query: str, limit: int = 50) -> list[Item]:
        words = query.strip().lower().split()
        if not words:  # favourites and recent, then A to Z (items are sorted already)
            first = self._pinned_sorted(self._pinned)
            return [self.items[n] for n in (first + self._rest(limit))[:limit]]
        subs = [_subsequence(w) for w in words]
        pinned = [n for n in self._pinned if self.score(n, words, subs) is not None]
        found = self._pinned_sorted(pinned)
        if len(words) == 1:
            found += self._buckets(words[0], limit, set(pinned))
        else:
            found += self._all_words(words, subs, limit, set(pinned))
        return [self.items[n] for n in found[:limit]]

    def _rest(self, limit: int) -> list[int]:
        pinned, out = set(self._pinned), list[int]()
        for n in range(len(self.items)):
            if len(out) >= limit:
                break
            if n not in pinned:
                out.append(n)
        return out

    def _buckets(self, word: str, limit: int, skip: set[int]) -> list[int]:
        """Matches of one word, best bucket first, alphabetical within; stops at `limit`."""
        esc = re.escape(word)
        seps = re.escape(_SEPARATORS)
        titles, hays = (self._title_blob, self._title_starts), (self._hay_blob, self._hay_starts)
        scans = ((re.compile("^" + esc, re.M), titles),
                 (re.compile(f"(?<=[{seps}])" + esc), titles),
                 (re.compile(esc), titles),
                 (re.compile(esc), hays),
                 (_subsequence(word), titles),
                 (_subsequence(word), hays))
        out: list[int] = []
        seen = set(skip)
        for number, (pattern, (blob, starts)) in enumerate(scans):
            bucket: list[tuple[int, int]] = []  # (tie-break, item)
            whole = number == 0  # title prefixes: all of them, so the shortest come first
            loose = number >= 4  # letters in order: the tightest span first
            for match in pattern.finditer(blob):
                n = bisect_right(starts, match.start()) - 1
                if n not in seen:
                    seen.add(n)
                    key = (len(self._titles[n]) if whole else
                           match.end() - match.start() if loose else 0)
                    bucket.append((key, n))
                    if not whole and len(out) + len(bucket) >= limit:
                        break
            out += [n for _, n in sorted(bucket)]
            if len(out) >= limit:
                break
        return out

    def _lines(self, pattern: re.Pattern[str], titles: bool = False) -> set[int]:
        blob, starts = ((self._title_blob, self._title_starts) if titles
                        else (self._hay_blob, self._hay_starts))
        return {bisect_right(starts, m.start()) - 1 for m in pattern.finditer(blob)}

    def _containing(self, words: Sequence[str]) -> set[int]:
        """Items whose text holds every word (`in` per item: cheaper than a blob scan
        when a short word occurs tens of thousands of times)."""
        hays = self._hays
        found = [n for n, hay in enumerate(hays) if words[0] in hay]
        for word in words[1:]:
            found = [n for n in found if word in hays[n]]
        return set(found)

    def _every(self, patterns: Sequence[re.Pattern[str]], titles: bool = False) -> set[int]:
        found: set[int] | None = None
        for pattern in patterns:  # longest word first: the smallest set
            hits = self._lines(pattern, titles)
            found = hits if found is None else found & hits
            if not found:
                break
        return found or set()

    def _all_words(self, words: Sequence[str], subs: Sequence[re.Pattern[str]], limit: int,
                   skip: set[int]) -> list[int]:
        """Every word must match. Candidates from C scans, loosest last: every word as a
        substring, then as letters in order in the title, then anywhere; only as many
        groups as it takes to fill the list are scored in Python."""
        order = sorted(range(len(words)), key=lambda k: -len(words[k]))
        groups: tuple[Callable[[], set[int]], ...] = (
                  lambda: self._containing([words[k] for k in order]),
                  lambda: self._every([subs[k] for k in order], titles=True),
                  lambda: self._every([subs[k] for k in order]))
        out: list[int] = []
        seen = set(skip)
        for group in groups:
            fresh = group() - seen
            seen |= fresh
            # One-letter words match nearly everything: score a bounded, alphabetical share.
            pool = sorted(fresh)[:SCORE_CAP] if len(fresh) > SCORE_CAP else fresh
            scored = [(s, len(self._titles[n]), n) for n in pool
                      if (s := self.score(n, words, subs)) is not None]
            out += [n for *_, n in heapq.nsmallest(limit - len(out), scored)]
            if len(out) >= limit:
                break
        return out


def _blob(lines: Sequence[str]) -> tuple[str, list[int]]:
    starts, offset = [], 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    return "\n".join(lines), starts
