"""The comment flow in headless chromium: sign up, post, moderate, reply, edit, report, hide."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not installed"),
]


@pytest.fixture
def browser(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    # The test body talks to the ORM between browser steps on the same thread.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    for name, value in {
        "TIDINGS_COMMENT_HOLD_FIRST": "1",
        "TIDINGS_COMMENT_RATE_LIMIT": "100/60",
        "TIDINGS_COMMENT_IP_RATE_LIMIT": "100/60",
        "TIDINGS_ACCOUNT_EMAIL_RATE_LIMIT": "100/60",
    }.items():
        monkeypatch.setenv(name, value)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield instance
        instance.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"comments-{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_comment_flow(browser, live_server, mailoutbox, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from django.contrib.auth.models import User
    from django.utils import timezone

    from tidings.community import _mail
    from tidings.community.models import Comment, Profile
    from tidings.news.models import Article, Source

    source = Source.objects.create(slug="sample-courier", name="Sample Courier", is_sample=True)
    article = Article.objects.create(
        id="d" * 32,
        canonical_url="https://courier.example.test/bridge",
        source=source,
        title="Old bridge to reopen in spring (sample)",
        text="Sample text.",
        content_hash="d",
        published_at=timezone.now(),
    )
    mod = User.objects.create_user(
        "mod", "mod@example.test", "moderator passphrase 1", is_staff=True
    )
    Profile.objects.create(user=mod, display_name="Mo (moderator)", email_key="mod@example.test")
    spammer = User.objects.create_user("spammer", "s@example.test", date_joined=timezone.now())
    Profile.objects.create(user=spammer, display_name="Watch Deals", email_key="s@example.test")
    Comment.objects.create(
        article=article,
        author=mod,
        body="Welcome!",
        body_html="<p>Welcome! Please keep it <em>civil</em>.</p>",
    )
    Comment.objects.create(
        article=article,
        author=spammer,
        body="Cheap watches",
        body_html="<p>Cheap watches, great prices</p>",
    )
    thread = f"{live_server.url}/comments/article/{article.pk}/"

    reader = browser.new_context(viewport={"width": 1200, "height": 900})
    page = reader.new_page()
    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_display_name", "Juniper")
    page.fill("#id_email", "juniper@example.test")
    page.fill("#id_password", "a long sample passphrase")
    shot(page, "01-signup")
    page.click(".cm-page button[type=submit]")
    page.wait_for_url("**/signup/done/")
    _mail.flush()
    link = re.search(r"http://\S+/accounts/activate/\S+", mailoutbox[-1].body).group(0)
    page.goto(link)
    page.wait_for_url("**/accounts/people/**")
    assert "Juniper" in page.inner_text("h1")

    # post without a page reload: the comment arrives held, marked pending
    page.goto(thread)
    page.fill("#cm-body-new", "Finally! The *detour* added 20 minutes to my commute.")
    url_before = page.url
    page.click("form[data-cm-form=post] button[type=submit]")
    page.wait_for_selector(".cm-status-pending")
    assert page.url == url_before
    assert "Pending review" in page.inner_text(".cm-status-pending")
    first = Comment.objects.get(author__profile__display_name="Juniper")
    assert first.status == "pending"
    shot(page, "02-pending")

    # the moderator approves it from the in-site queue
    staff = browser.new_context(viewport={"width": 1200, "height": 900})
    mpage = staff.new_page()
    mpage.goto(f"{live_server.url}/accounts/login/?next=/moderation/")
    mpage.fill("#id_username", "mod@example.test")
    mpage.fill("#id_password", "moderator passphrase 1")
    mpage.click(".cm-page button[type=submit]")
    mpage.wait_for_url("**/moderation/")
    shot(mpage, "03-queue")
    mpage.click(f"#mod-{first.pk} button[value=approve]")
    mpage.wait_for_selector(".cm-msg")
    first.refresh_from_db()
    assert first.status == "published"

    # reply, edit, report — all without reloads
    page.goto(thread)
    welcome = Comment.objects.get(body="Welcome!")
    item = page.locator(f"#comment-{welcome.pk}")
    item.locator("summary", has_text="Reply").click()
    item.locator("textarea").fill("Thanks, glad to be here.")
    item.locator("button", has_text="Post reply").click()
    page.wait_for_selector(f"#replies-{welcome.pk} .cm-item")
    reply = Comment.objects.get(body="Thanks, glad to be here.")
    assert reply.parent_id == welcome.pk and reply.status == "published"
    mine = page.locator(f"#comment-{reply.pk}")
    mine.locator("summary", has_text="Edit").click()
    mine.locator("textarea").fill("Thanks, **glad** to be here.")
    mine.locator("button", has_text="Save").click()
    page.wait_for_selector(f"#comment-{reply.pk} .cm-edited")
    assert page.inner_html(f"#comment-{reply.pk} .cm-body").count("<strong>glad</strong>") == 1
    spam = Comment.objects.get(body="Cheap watches")
    bad = page.locator(f"#comment-{spam.pk}")
    bad.locator("summary", has_text="Report").click()
    bad.locator("select").select_option("spam")
    bad.locator("button", has_text="Send report").click()
    page.wait_for_selector(f"#comment-{spam.pk} >> text=Reported")
    shot(page, "04-thread")

    # the moderator hides the reported comment
    mpage.goto(f"{live_server.url}/moderation/")
    assert "Cheap watches" in mpage.inner_text("main")
    mpage.fill(f"#mod-{spam.pk} input[name=reason]", "advertising")
    mpage.click(f"#mod-{spam.pk} button[value=hide]")
    mpage.wait_for_selector(".cm-msg")
    spam.refresh_from_db()
    assert spam.status == "hidden"
    shot(mpage, "05-after-hide")
    page.reload()
    assert "Cheap watches" not in page.inner_text("#comments")

    # without JavaScript the same form posts and lands on the new comment
    nojs = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    nojs.add_cookies(reader.cookies())
    npage = nojs.new_page()
    npage.goto(thread)
    npage.fill("#cm-body-new", "Posted with scripts turned off.")
    npage.click("form[data-cm-form=post] button[type=submit]")
    latest = Comment.objects.latest("id")
    assert latest.body == "Posted with scripts turned off."
    assert npage.url.endswith(f"#comment-{latest.pk}")
    shot(npage, "06-phone-nojs")
