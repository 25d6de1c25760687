"""The ``mydata-counter`` command (``main.py``) and its command groups, one module each: hw tools per device
kind, sandbox tools, doctor; ``support.py`` has what they share. Importing this package runs nothing."""
