"""What every web app (kiosk, clerk, sandbox) shares: the Flask app base, /healthz and /metrics, the
technician's admin page. Knows no app and no device driver."""
