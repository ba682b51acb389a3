"""The review pages in a real browser: Debian's chromium driven by selenium.

The state is the demo's: two real refreshes against its local fixture
server, which stays up for the whole module so that later refreshes (run
through the ``Tracker`` facade, as the daemon would) fetch real feeds again.
Each test gets its own copy of that state and a real
:class:`~tracker.daemon.service.Daemon` serving it through the real
``ApiServer`` on 127.0.0.1 (port 0); one headless chromium serves the module.

Nothing is downloaded: chromedriver and chromium are Debian's
(``apt-get install chromium chromium-driver``; ``.ci/run`` installs them),
given to selenium by path so that Selenium Manager never runs. Without them
the module is skipped.

``test_screenshots`` also photographs the pages; with
``TRACKER_SCREENSHOTS=DIR`` it copies the pictures there
(``docs/review_screenshots.py`` does that for ``docs/``).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from rich.console import Console

from tracker.app import Tracker
from tracker.config import load_config
from tracker.daemon.api import ApiServer
from tracker.daemon.service import Daemon
from tracker.demo.run import REPORT_ID, demo_sources
from tracker.types import Suggestion

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip(
        "needs Debian's chromium and chromium-driver "
        "(apt-get install chromium chromium-driver fonts-noto-cjk; .ci/run installs them)",
        allow_module_level=True,
    )
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extra")

from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
TOKEN = "browser-s3cret"
HOSTILE = "<script>alert('demo')</script>"
EDITED = "浏览器里改写：Claude Code 可在后台完成编码任务，测试通过后自动提交拉取请求。"
WAIT = 20


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo's folder, with its fixture sources served until the module ends."""
    root = tmp_path_factory.mktemp("browser")
    with demo_sources(root / "demo", Console(file=io.StringIO()), now=NOW):
        yield root / "demo"


@pytest.fixture(scope="module")
def driver() -> Iterator[WebDriver]:
    # Only the paths given here are used: Selenium Manager must not look online.
    os.environ.setdefault("SE_OFFLINE", "true")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="tracker-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1200,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    browser.set_page_load_timeout(WAIT)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@dataclass
class Site:
    root: Path
    daemon: Daemon
    server: ApiServer
    driver: WebDriver

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def tracker(self, clock: datetime = NOW) -> Tracker:
        return Tracker(load_config(self.root / "sources.yaml"), clock=lambda: clock)

    def suggestions(self) -> dict[int, Suggestion]:
        return {s.id or 0: s for s in self.tracker().suggestions(report=REPORT_ID)}

    def status(self, ident: int) -> str:
        return str(self.suggestions()[ident].status)

    def next_edition(self) -> str:
        """Refresh through the facade a day later; the Markdown of the edition it wrote."""
        summary = self.tracker(NOW + timedelta(days=1)).refresh(trigger="cli")
        assert summary.outcome == "ok" and summary.sources_failed == 0, summary
        written = [Path(p) for p in summary.editions if str(p).endswith(".md")]
        assert written, summary
        return written[0].read_text(encoding="utf-8")

    # -- the browser ---------------------------------------------------------

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)
        self._settled()

    def _settled(self) -> None:
        WebDriverWait(self.driver, WAIT).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )

    def keys(self, *keys: str) -> None:
        webdriver.ActionChains(self.driver).send_keys(*keys).perform()

    def keys_then_load(self, *keys: str) -> None:
        """Press keys that submit a form; wait for the page it leads to."""
        page = self.driver.find_element(By.TAG_NAME, "html")
        self.keys(*keys)
        WebDriverWait(self.driver, WAIT).until(expected_conditions.staleness_of(page))
        self._settled()

    def current(self) -> int:
        item = self.driver.find_element(By.CSS_SELECTOR, ".item.current")
        return int(item.get_attribute("data-id") or 0)

    def text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "body").text

    def fetch(self, path: str, form: dict[str, str]) -> int:
        """POST from the page itself with fetch(); the status the browser got."""
        status: int = self.driver.execute_async_script(
            """const [path, form, done] = arguments;
            fetch(path, {method: "POST", body: new URLSearchParams(form), redirect: "manual"})
              .then(r => done(r.type === "opaqueredirect" ? 303 : r.status))
              .catch(e => done(String(e)));""",
            path,
            form,
        )
        return status

    def csrf(self) -> str:
        field: WebElement = self.driver.find_element(By.CSS_SELECTOR, "input[name=csrf]")
        return field.get_attribute("value") or ""

    def no_alert(self) -> None:
        with pytest.raises(NoAlertPresentException):
            self.driver.switch_to.alert  # noqa: B018  (the property raises when there is none)


def _site(demo: Path, tmp_path: Path, driver: WebDriver, token: str | None) -> Iterator[Site]:
    root = tmp_path / "site"
    shutil.copytree(demo, root)
    config_path = root / "sources.yaml"
    daemon = Daemon(config_path, load_config(config_path))
    server = ApiServer(daemon, "127.0.0.1", 0, token, review=daemon)
    server.start()
    driver.delete_all_cookies()
    try:
        yield Site(root, daemon, server, driver)
    finally:
        daemon.worker.join(60)
        server.stop()


@pytest.fixture
def site(demo: Path, tmp_path: Path, driver: WebDriver) -> Iterator[Site]:
    yield from _site(demo, tmp_path, driver, None)


@pytest.fixture
def token_site(demo: Path, tmp_path: Path, driver: WebDriver) -> Iterator[Site]:
    yield from _site(demo, tmp_path, driver, TOKEN)


def _hint(ident: int) -> str:
    return f"`tracker accept {ident}`"


# ---------------------------------------------------------------- the keyboard


def test_review_with_the_keyboard_alone(site: Site) -> None:
    site.open("/")
    first = site.current()  # the first item is selected on load
    site.keys("j")
    assert site.current() != first
    site.keys("k")
    assert site.current() == first

    site.keys_then_load("a")
    assert site.status(first) == "accepted"

    site.keys("j")
    rejected = site.current()
    site.keys_then_load("r")
    assert site.status(rejected) == "rejected"

    undone = site.current()
    site.keys_then_load("r")
    assert site.status(undone) == "rejected"
    site.keys_then_load("u")
    assert site.status(undone) == "pending"
    assert site.status(rejected) == "rejected" and site.status(first) == "accepted"
    assert len({first, rejected, undone}) == 3

    edition = site.next_edition()
    # A decided suggestion no longer waits in the edition; the undone one still does.
    assert _hint(first) not in edition and _hint(rejected) not in edition
    assert _hint(undone) in edition


def test_a_keyboard_decision_keeps_the_place_in_the_queue(site: Site) -> None:
    site.open("/")
    ids = [
        int(item.get_attribute("data-id") or 0)
        for item in site.driver.find_elements(By.CSS_SELECTOR, ".item")
    ]
    assert len(ids) >= 4
    site.keys("j", "j")
    assert site.current() == ids[2]
    site.keys_then_load("a")
    # The decided item is gone; the one after it takes its place and is selected.
    assert site.current() == ids[3]


def test_edit_before_accepting_lands_in_the_next_edition(site: Site) -> None:
    site.open("/?kind=addition")
    chosen = site.current()
    original = site.suggestions()[chosen].proposed_text
    site.keys("e")
    box = site.driver.find_element(By.CSS_SELECTOR, ".item.current details.edit textarea")
    WebDriverWait(site.driver, WAIT).until(lambda d: box.is_displayed())
    assert site.driver.switch_to.active_element == box
    chain = webdriver.ActionChains(site.driver)
    chain.key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).perform()
    site.keys(Keys.DELETE, "- " + EDITED)
    page = site.driver.find_element(By.TAG_NAME, "html")
    chain = webdriver.ActionChains(site.driver)
    chain.key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(Keys.CONTROL).perform()
    WebDriverWait(site.driver, WAIT).until(expected_conditions.staleness_of(page))

    decided = site.suggestions()[chosen]
    assert str(decided.status) == "accepted"
    assert decided.edited_text == "- " + EDITED
    assert decided.proposed_text == original  # kept for the changelog

    edition = site.next_edition()
    assert EDITED in edition and _hint(chosen) not in edition


def test_batch_accept_two(site: Site) -> None:
    before = {i: str(s.status) for i, s in site.suggestions().items()}
    site.open("/")
    boxes = site.driver.find_elements(By.CSS_SELECTOR, ".item input[type=checkbox]")[:2]
    chosen = [int(box.get_attribute("value") or 0) for box in boxes]
    for box in boxes:
        box.click()
    page = site.driver.find_element(By.TAG_NAME, "html")
    site.driver.find_element(By.CSS_SELECTOR, "#batch button[value=accept]").click()
    WebDriverWait(site.driver, WAIT).until(expected_conditions.staleness_of(page))
    assert [site.status(ident) for ident in chosen] == ["accepted", "accepted"]
    after = {i: str(s.status) for i, s in site.suggestions().items()}
    assert after == before | dict.fromkeys(chosen, "accepted")


# ---------------------------------------------------------------- the gate


def _log_in(site: Site, token: str) -> None:
    field = site.driver.find_element(By.NAME, "token")
    field.clear()
    field.send_keys(token)
    page = site.driver.find_element(By.TAG_NAME, "html")
    field.submit()
    WebDriverWait(site.driver, WAIT).until(expected_conditions.staleness_of(page))
    site._settled()


def test_token_mode_logs_in_with_the_token_and_refuses_without(token_site: Site) -> None:
    site = token_site
    site.open("/sources")
    assert site.driver.current_url == f"{site.base}/login?next=/sources"
    _log_in(site, "a guess")
    assert "not the daemon" in site.text()
    assert site.driver.get_cookie("tracker_session") is None
    site.open("/")
    assert site.driver.current_url.startswith(f"{site.base}/login")

    _log_in(site, TOKEN)
    assert site.driver.current_url == f"{site.base}/"
    cookie = site.driver.get_cookie("tracker_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    some = site.current()
    csrf = site.csrf()
    site.open("/sources")
    assert site.driver.current_url == f"{site.base}/sources"

    site.driver.delete_all_cookies()
    site.open("/")
    assert site.driver.current_url.startswith(f"{site.base}/login")
    # The old page's CSRF token is nothing without the session.
    assert site.fetch(f"/suggestions/{some}/accept", {"csrf": csrf}) == 403
    assert site.status(some) == "pending"


def test_posts_without_the_csrf_token_or_from_another_origin_are_refused(site: Site) -> None:
    site.open("/")
    some = site.current()
    csrf = site.csrf()
    assert site.fetch(f"/suggestions/{some}/accept", {}) == 403
    assert site.fetch(f"/suggestions/{some}/accept", {"csrf": "guessed"}) == 403
    assert site.fetch("/undo", {}) == 403

    # A browser will not let a page forge Origin; a request beside it can.
    def post(origin: str) -> int:
        request = urllib.request.Request(
            f"{site.base}/suggestions/{some}/accept",
            data=urlencode({"csrf": csrf}).encode(),
            headers={"Origin": origin},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=WAIT) as response:
                return int(response.status)
        except urllib.error.HTTPError as refused:
            return refused.code

    assert post("http://evil.example") == 403
    assert post("null") == 403
    assert site.status(some) == "pending"
    # The same form with the token, from the page's own origin, is the editor's.
    assert site.fetch(f"/suggestions/{some}/accept", {"csrf": csrf}) == 303
    assert site.status(some) == "accepted"


def test_a_script_in_a_feed_title_is_shown_as_text(site: Site) -> None:
    hostile = next(s for s in site.suggestions().values() if HOSTILE in s.title)
    for path in ("/", f"/suggestions/{hostile.id}"):
        site.open(path)
        site.no_alert()
        assert HOSTILE in site.text()
        titles = site.driver.find_elements(By.CSS_SELECTOR, ".article")
        assert any(HOSTILE in t.text for t in titles)
    assert site.driver.execute_script("return document.scripts.length") == 1


# ---------------------------------------------------------------- pictures


def _shot(site: Site, folder: Path, name: str, size: tuple[int, int]) -> Path:
    site.driver.set_window_size(*size)
    path = folder / name
    assert site.driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


def test_screenshots(site: Site, tmp_path: Path) -> None:
    folder = tmp_path / "shots"
    folder.mkdir()
    shots = []
    site.open("/")
    shots.append(_shot(site, folder, "review-queue.png", (1200, 1300)))

    revision = next(s for s in site.suggestions().values() if str(s.kind) == "revision")
    site.open(f"/suggestions/{revision.id}")
    site.keys("e")
    box = site.driver.find_element(By.CSS_SELECTOR, "details.edit textarea")
    WebDriverWait(site.driver, WAIT).until(lambda d: box.is_displayed())
    site.driver.set_window_size(1200, 1300)
    site.driver.execute_script("window.scrollTo(0, 0)")
    shots.append(_shot(site, folder, "review-edit.png", (1200, 1300)))

    editions = site.tracker().editions(REPORT_ID)
    newest = max(e.edition_date for e in editions)
    site.open(f"/reports/{REPORT_ID}/editions/{newest}")
    site.driver.set_window_size(1200, 1000)
    # The first deletion outside the header's legend: the accepted suggestion's
    # pending block, struck through, above the text it became.
    site.driver.execute_script(
        "const c = [...document.querySelectorAll('del, .del')].find(e => !e.closest('.legend'));"
        "if (c) { c.scrollIntoView({block: 'start'}); window.scrollBy(0, -320); }"
    )
    shots.append(_shot(site, folder, "review-edition-diff.png", (1200, 1000)))

    site.open("/sources")
    shots.append(_shot(site, folder, "review-sources.png", (1200, 1000)))
    site.driver.set_window_size(1200, 1000)

    wanted = os.environ.get("TRACKER_SCREENSHOTS")
    if wanted:
        for shot in shots:
            shutil.copyfile(shot, Path(wanted) / shot.name)
