"""Typed errors carrying a message key; the UI turns keys into zh-TW/en text (see ``i18n``)."""

from __future__ import annotations

from counter_core.i18n import bilingual, translate


class CounterError(Exception):
    """Base of every error a citizen, clerk or technician may see.

    ``key`` names the message in the catalogues; ``params`` fill its placeholders. The exception's
    own ``str`` is for logs and never contains personal data.
    """

    key = "error.unexpected"

    def __init__(self, key: str | None = None, **params: object) -> None:
        self.key = key or type(self).key
        self.params = params
        super().__init__(self.key)

    def message(self, language: str) -> str:
        return translate(self.key, language, **self.params)

    def bilingual(self) -> str:
        return bilingual(self.key, **self.params)
