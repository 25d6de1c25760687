"""The only code that talks to the central broker (filled by the broker protocol issue)."""
