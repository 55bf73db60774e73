"""Screenshots of every role's start page at 1366 × 900, as docs/screenshots/ shows them.

    .venv/bin/python bench/screenshots.py [--out docs/screenshots]

A fresh SQLite database in a temporary folder gets the demo (as ``make run`` loads it); the app is served on
127.0.0.1 in a thread, and headless Chromium (Debian's ``chromium`` and ``chromium-driver``, as the browser
tests use) logs in as each demo user and saves the first screen of ``/``. Not a benchmark: it lives here
beside the other tools that drive the app from outside.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from selenium.webdriver.support.ui import WebDriverWait

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.db import session  # noqa: E402
from app.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.uow import committed  # noqa: E402
from tests.browser.chromium import chromium, serve  # noqa: E402

USERS = ("klantmanager", "aanbieder", "financien", "inkoper", "management", "admin")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--window-size=1366,900", "--hide-scrollbars")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/screens.sqlite3"
        upgrade(url)
        app = create_app("testing", overrides={"DATABASE_URL": url, "EVIDENCE_DIR": f"{folder}/evidence"})
        with app.app_context(), committed():
            load_demo(session)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = serve(app)
        driver = chromium(FLAGS, f"{folder}/chromium")
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            driver.set_window_size(1366, 900)
            for user in USERS:
                driver.delete_all_cookies()
                driver.get(base + "/login")
                driver.find_element("name", "username").send_keys(user)
                password = driver.find_element("name", "password")
                password.send_keys(DEMO_PASSWORD)
                password.submit()
                WebDriverWait(driver, 10).until(lambda d: d.find_elements("css selector", "form[action='/logout']"))
                driver.get(base + "/")
                path = args.out / f"start-{user}.png"
                driver.save_screenshot(str(path))
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        finally:
            driver.quit()
            server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
