"""Speech for the audio guide, rendered on the kiosk itself with espeak-ng (Debian's ``espeak-ng``): offline,
Mandarin (``cmn`` reads Traditional characters) and English voices, ~50 ms a sentence. Robotic but
intelligible, and a package the kiosk already trusts: no network TTS, no model files, nothing to download.

What is spoken is what the page shows (headings, prompts, choices, errors, numbers); a PIN never is (the page
sends only how many digits were entered). Nothing is logged or written to disk: recent sentences are kept in
memory to answer a repeat at once.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections import OrderedDict

from counter_core.errors import CounterError

VOICES = {"zh-TW": "cmn", "en": "en-us"}  # a language without a voice of its own is read in Mandarin
MAX_CHARS = 400
CACHE_ENTRIES = 200
RATE_WPM = 150  # a little slower than espeak-ng's 175: many listeners are elderly


class SpeechUnavailable(CounterError):
    key = "kiosk.audio.unavailable"


class Speech:
    def __init__(self, engine: str = "espeak-ng") -> None:
        self.engine = shutil.which(engine)
        self._cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def wav(self, text: str, language: str) -> bytes:
        """``text`` spoken in ``language`` as a WAV file; raises ``SpeechUnavailable`` without an engine."""
        text = " ".join(text.split())[:MAX_CHARS]
        key = (language, text)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        if self.engine is None or not text:
            raise SpeechUnavailable()
        voice = VOICES.get(language, VOICES["zh-TW"])
        try:
            result = subprocess.run(
                [self.engine, "-v", voice, "-s", str(RATE_WPM), "--stdout", text],
                capture_output=True,
                timeout=10,
                check=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise SpeechUnavailable() from exc
        with self._lock:
            self._cache[key] = result.stdout
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return result.stdout
