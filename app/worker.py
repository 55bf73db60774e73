"""The background worker's entry point: ``huey_consumer app.worker.huey`` (``make worker``).

It builds the app from the same environment as the web server, so that both use one database and one queue.
"""

from app import create_app

app = create_app()
huey = app.extensions["huey"]
