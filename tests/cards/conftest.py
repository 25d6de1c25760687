"""Card tests use the session-wide ``pcscd`` and ``empty_reader`` fixtures (tests/conftest.py; the rig is in
cards_rig.py)."""
