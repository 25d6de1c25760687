"""User-facing text: one catalogue per language, split into one JSON file per area.

``messages/<lang>/<area>.json`` maps keys to text with ``{name}`` placeholders. Text is never built
from exception messages; code raises errors carrying a key, and the UI looks the key up here.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Final

LANGUAGES: Final = ("zh-TW", "en")
DEFAULT_LANGUAGE: Final = "zh-TW"
_ROOT = Path(__file__).parent / "messages"


@cache
def catalogue(language: str) -> dict[str, str]:
    """All keys of one language, merged from every area file."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; use one of {LANGUAGES}")
    merged: dict[str, str] = {}
    for path in sorted((_ROOT / language).glob("*.json")):
        area = json.loads(path.read_text(encoding="utf-8"))
        duplicated = merged.keys() & area.keys()
        if duplicated:
            raise ValueError(f"{path}: keys defined twice: {sorted(duplicated)}")
        merged.update(area)
    return merged


def translate(key: str, language: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The text for ``key`` in ``language``; falls back to zh-TW, then to the key itself."""
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    text = catalogue(lang).get(key) or catalogue(DEFAULT_LANGUAGE).get(key) or key
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


def bilingual(key: str, **params: object) -> str:
    """``zh-TW text / en text``, for terminals and logs read by technicians."""
    return f"{translate(key, 'zh-TW', **params)} / {translate(key, 'en', **params)}"


def has_message(key: str) -> bool:
    return key in catalogue(DEFAULT_LANGUAGE)


def both(key: str, **params: object) -> dict[str, str]:
    """``{"zh-TW": …, "en": …}``: how error messages travel to pages, which pick by their language."""
    return {language: translate(key, language, **params) for language in LANGUAGES}


def subset(prefixes: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The keys starting with ``prefixes`` in every language, for a page's own catalogue."""
    return {lang: {k: v for k, v in catalogue(lang).items() if k.startswith(prefixes)} for lang in LANGUAGES}
