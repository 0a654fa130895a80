"""The README's screenshots are the browser tests' own: each picture it shows from `docs/` is
one `readme_screenshot` writes, and a browser test writes each of them."""

import re
from pathlib import Path

from django.conf import settings

from tests.fixtures.browser import README_SCREENSHOTS, README_SCREENSHOTS_DIR

ROOT = Path(settings.BASE_DIR)


def test_every_picture_the_readme_shows_is_written_by_a_browser_test():
    readme = (ROOT / "README.md").read_text()
    shown = set(re.findall(r"\]\(docs/([\w-]+)\.png\)", readme))
    assert shown == set(README_SCREENSHOTS)
    browser_tests = "".join(p.read_text() for p in (ROOT / "tests" / "browser").glob("test_*.py"))
    for name in README_SCREENSHOTS:
        assert f'readme_screenshot(page, "{name}")' in browser_tests, name
        assert (README_SCREENSHOTS_DIR / f"{name}.png").is_file(), name
