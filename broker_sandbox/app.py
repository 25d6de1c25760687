"""Sandbox broker app factory: ``create_app(settings)``; nothing happens at import time."""

from __future__ import annotations

from flask import Flask, render_template

from mydata_counter.settings import Settings
from mydata_counter.web import health_blueprint, new_flask_app


def create_app(settings: Settings) -> Flask:
    app = new_flask_app(__name__, settings.sandbox)
    app.name = "sandbox"
    app.extensions["mydata.settings"] = settings
    app.register_blueprint(health_blueprint("sandbox"))

    @app.get("/")
    def home() -> str:
        return render_template("sandbox/home.html")

    return app
