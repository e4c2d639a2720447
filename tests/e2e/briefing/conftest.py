"""The browser of the answer page's tests: Debian's headless Chromium, never a download."""

from tests.e2e.feedback.test_answer_page_browser import browser

__all__ = ["browser"]
