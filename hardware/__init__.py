"""Device drivers: card readers, cameras, barcode decoders, printers.

Never imports ``kiosk``, ``clerk`` or ``broker_sandbox``: the web layers depend on these interfaces,
not the other way round.
"""
