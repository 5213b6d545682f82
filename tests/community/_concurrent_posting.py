"""Post comments from several threads while another thread writes articles.

Run as a script against the product settings on a file-based SQLite database
(WAL, BEGIN IMMEDIATE, busy timeout); prints one JSON line of figures.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import django


def main(posters: int, per_poster: int) -> int:
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from tidings.community.models import Comment, Profile
    from tidings.news.models import Article, Source

    call_command("migrate", verbosity=0)
    source = Source.objects.create(slug="sample-wire", name="Sample Wire", is_sample=True)
    article = Article.objects.create(
        id="c" * 32,
        canonical_url="https://wire.example.test/0",
        source=source,
        title="Sample article under discussion",
        text="Sample.",
        content_hash="0",
    )
    users = []
    for n in range(posters):
        user = User.objects.create(username=f"poster{n}", email=f"p{n}@example.test")
        Profile.objects.create(user=user, display_name=f"Poster {n}", email_key=user.email)
        users.append(user)
    done = threading.Event()
    statuses: list[int] = []
    errors: list[str] = []
    written = [0]

    def writer() -> None:
        i = 0
        try:
            while not done.is_set():
                i += 1
                with transaction.atomic():
                    Article.objects.create(
                        id=f"{i:032x}",
                        canonical_url=f"https://wire.example.test/{i}",
                        source=source,
                        title=f"Ingested sample {i}",
                        text="Sample body " * 200,
                        content_hash=str(i),
                        fetched_at=timezone.now(),
                    )
                    Source.objects.filter(pk=source.pk).update(name="Sample Wire")
                written[0] = i
        except Exception as exc:  # reported below
            errors.append(f"writer: {exc!r}")
        finally:
            connection.close()

    def poster(user: User) -> None:
        client = Client()
        client.force_login(user)
        try:
            for k in range(per_poster):
                response = client.post(
                    "/comments/post/",
                    {"kind": "article", "target": article.pk, "body": f"{user.username} says {k}"},
                )
                statuses.append(response.status_code)
        except Exception as exc:
            errors.append(f"{user.username}: {exc!r}")
        finally:
            connection.close()

    started = time.perf_counter()
    w = threading.Thread(target=writer)
    w.start()
    threads = [threading.Thread(target=poster, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    w.join()
    elapsed = time.perf_counter() - started
    stored = Comment.objects.filter(article=article).count()
    print(
        json.dumps(
            {
                "expected": posters * per_poster,
                "stored": stored,
                "statuses": sorted(set(statuses)),
                "articles_written": written[0],
                "errors": errors,
                "seconds": round(elapsed, 2),
            }
        )
    )
    return 0 if stored == posters * per_poster and not errors else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), int(sys.argv[2])))
