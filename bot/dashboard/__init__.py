"""The instructor dashboard: a server-rendered web app over the bot's core.

``app.py`` (routes, sessions, headers), ``auth.py`` (access and CSRF),
``pages.py`` (GET pages), ``actions.py`` (POST actions), ``render.py``
(templates, heatmap rows, highlighted code), ``serve.py`` (uvicorn, for
``torchdojo dashboard serve`` and inside the console). It reads and acts only
through public core services (``bot.core.insights``, ``bot.core.signin`` and
the ``Dojo`` facade), never the database.
"""

from bot.dashboard.app import create_app

__all__ = ["create_app"]
