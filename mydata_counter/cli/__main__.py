"""``python -m mydata_counter.cli``: how services are started as child processes."""

from mydata_counter.cli.main import main

main()
