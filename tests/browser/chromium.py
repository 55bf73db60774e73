"""The app served on 127.0.0.1 in a thread and a headless Chromium driven by Selenium: the browser tests and
bench/screenshots.py start them the same way. Selenium is imported when a browser is asked for, so that the
tests that need none still import without it."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server


def serve(app) -> BaseWSGIServer:
    """The app on a free port of 127.0.0.1, answering in a daemon thread until ``shutdown()``."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def chromium(flags: Iterable[str], profile: str) -> Any:
    """Debian's ``chromium`` through its ``chromedriver``, with ``flags`` and a profile folder of its own."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in (*flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
