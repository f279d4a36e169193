"""Indonesian names as a desk meets them: the same person written "Soekarni binti Djoko" on an old
KK and "Sukarni Joko" on a new KTP. Two search keys are kept on every person (as `name_search`):

- `name_key`: the name folded so old and new spelling meet (oe/u, dj/j, tj/c, j/y, ch/kh, sj/sy,
  nj/ny), doubled letters single, a final or consonant-side "y" read as "i" (Sumarny/Sumarni),
  titles and honorifics (H., Hj., Ir., S.Pd., ...) and bin/binti dropped;
- `name_phonetic`: a sound key per word of `name_key` (vowels after the first letter dropped, letters
  that sound alike merged), so "Enok Sumarny" and "Enoc Soemarnie" share one.

Plain functions, no database: the search, the duplicate scan and the bench all call them.
"""

from __future__ import annotations

import re
import unicodedata

# Titles before or after a name, compared without dots and spaces ("S.Pd." -> "spd").
TITLES = frozenset(
    {
        "h", "hj", "haji", "hajjah", "ir", "dr", "drs", "dra", "prof", "kh", "ust", "ustadz",
        "ustadzah", "bpk", "bapak", "ibu", "bu", "pak", "sdr", "sdri", "tn", "ny", "nn", "alm", "almh",
        "spd", "spdi", "sh", "se", "sag", "sip", "skom", "st", "skm", "sked", "ssos", "mpd", "mm",
        "mh", "msi", "amd", "amk", "mt", "skep", "ssi",
    }
)  # fmt: skip
# "bin"/"binti" link a name to the father's; the father's name itself stays (it helps matching).
LINKS = frozenset({"bin", "binti", "bt", "bn"})

# Old (Van Ophuijsen/Soewandi) spelling to the current one, longest first. "j" and "y" meet on "y"
# because old "j" is new "y" (Jogja/Yogya) while old "dj" is new "j": the key conflates them on
# purpose, a key may merge more than a reader would.
_SPELLING = (
    ("oe", "u"),
    ("dj", "j"),
    ("tj", "c"),
    ("sj", "sy"),
    ("nj", "ny"),
    ("ch", "kh"),
    ("j", "y"),
)
_DOUBLED = re.compile(r"(.)\1+")
_Y_AS_I = re.compile(r"y(?![aeiou])")  # Sumarny, Yusuf -> yusuf stays, Nyai -> nyai stays
_NON_LETTERS = re.compile(r"[^a-z\s]")


def plain(text: str | None) -> str:
    """Lower case, accents stripped, spaces collapsed (the form `Person.name_search` keeps)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def _word_key(word: str) -> str:
    for old, new in _SPELLING:
        word = word.replace(old, new)
    word = _Y_AS_I.sub("i", word) if len(word) > 1 else word
    return _DOUBLED.sub(r"\1", word)


def name_key(text: str | None) -> str:
    """The spelling-forgiving key of a name: `name_key("Hj. Enok Soemarny, S.Pd.") == "enok sumarni"`."""
    words = []
    for raw in re.split(r"[\s,]+", plain(text)):
        compact = _NON_LETTERS.sub("", raw)
        if not compact or compact in TITLES or compact in LINKS:
            continue
        words.append(_word_key(compact))
    return " ".join(words)


# Letters that sound alike in Indonesian speech and spelling, merged for the sound key.
_SOUNDS = str.maketrans({"v": "f", "p": "f", "q": "k", "c": "k", "z": "s", "x": "s", "d": "t", "b": "f"})


def _word_sound(word: str) -> str:
    word = word.replace("kh", "k").replace("sy", "s").replace("ng", "n").replace("ph", "f")
    head, tail = word[:1], word[1:]
    tail = re.sub(r"[aeiouyh]", "", tail)
    return _DOUBLED.sub(r"\1", (head + tail).translate(_SOUNDS))


def name_phonetic(text: str | None) -> str:
    """The sound key: one code per word of `name_key` ("enok sumarni" -> "enk smrn")."""
    return " ".join(_word_sound(w) for w in name_key(text).split())


def _trigrams(text: str) -> set[str]:
    grams: set[str] = set()
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def trigram_similarity(a: str | None, b: str | None) -> float:
    """pg_trgm's `similarity(a, b)` in Python (shared trigrams over all trigrams, words padded as
    PostgreSQL pads them): SQLite gets it as a SQL function, so both databases rank alike."""
    left, right = _trigrams(a or ""), _trigrams(b or "")
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)
