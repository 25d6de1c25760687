"""The bottom layer every other package may use: settings, typed errors, messages (i18n), the data code,
national IDs, personal-data wrapping, metrics, log redaction. Imports none of the apps."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mydata-counter")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
