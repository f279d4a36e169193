"""Weight of the citizen status page: the HTML plus every stylesheet, script and image it
loads, as a phone on a weak connection would fetch them. Target: under 50 KB.

    python -m bench.page_weight                       # builds a throwaway app with one case
    python -m bench.page_weight --url http://127.0.0.1:5000 --code 7K4Q-X9MZ-P3CA
"""

from __future__ import annotations

import argparse
import gzip
import re
import tempfile
import urllib.request
from collections.abc import Callable

ASSET_RE = re.compile(r'<(?:link|script|img)\b[^>]*?(?:href|src)="([^"]+)"')
LIMIT = 50 * 1024


def measure(fetch: Callable[[str], bytes], path: str) -> list[tuple[str, int, int]]:
    """(path, bytes, gzipped bytes) for the page and each asset it references."""
    html = fetch(path)
    rows = [(path, len(html), len(gzip.compress(html)))]
    for asset in dict.fromkeys(ASSET_RE.findall(html.decode())):
        body = fetch(asset.replace("&amp;", "&"))
        rows.append((asset, len(body), len(gzip.compress(body))))
    return rows


def _local_fetcher() -> tuple[Callable[[str], bytes], str]:
    from slrt import create_app
    from slrt.extensions import db

    tmp = tempfile.mkdtemp(prefix="slrt-weight-")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/w.sqlite"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        from slrt.regions.services import load_regions

        load_regions()
        from tests import factories
        from tests.public_factories import make_secret_case

        world = factories.make_world()
        code = make_secret_case(world).tracking_code
        db.session.remove()
    client = app.test_client()
    return (lambda p: client.get(p).data), f"/status?code={code}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="base URL of a running server (default: a throwaway app)")
    parser.add_argument("--code", help="tracking code to look up on that server")
    args = parser.parse_args()
    if args.url:
        base = args.url.rstrip("/")
        path = f"/status?code={args.code}" if args.code else "/status"
        fetch = lambda p: urllib.request.urlopen(base + p if p.startswith("/") else p).read()  # noqa: E731, S310
    else:
        fetch, path = _local_fetcher()
    rows = measure(fetch, path)
    for name, size, zipped in rows:
        print(f"{size:>8} B {zipped:>8} B gz  {name}")
    total = sum(r[1] for r in rows)
    total_gz = sum(r[2] for r in rows)
    verdict = "OK" if total < LIMIT else "TOO HEAVY"
    print(f"{total:>8} B {total_gz:>8} B gz  total ({verdict}: limit {LIMIT} B uncompressed)")


if __name__ == "__main__":
    main()
