"""The tests' loopback Slack, Ecwid and image host, in a process of their own for the benchmark.

Prints one JSON line with their addresses, then serves until stdin closes. Kept out of the
benchmark's own process so that serving them does not slow the load generator's clock.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
import tempfile
from pathlib import Path

from aiohttp import web

from tests.fakes.ecwid_api import STORE_ID, TOKEN, FakeEcwid
from tests.fakes.image_host import FakeImageHost, Served, TlsAuthority, image_bytes, picture
from tests.fakes.slack_api import FakeSlack

STOCKED_FIRST = 20_001  # the products --stocked makes, each with a current image


async def _ecwid_stats(ecwid: FakeEcwid) -> web.Response:
    """When each image upload reached the loopback Ecwid, and how many calls it answered 429."""
    uploads = [c.at for c in ecwid.calls if c.method == "POST" and c.path.endswith("/async")]
    first = min(uploads, default=float("inf"))
    lookups = [c for c in ecwid.calls if c.method == "GET" and c.at < first]
    by_product: dict[str, int] = {}
    for call in ecwid.calls:
        parts = call.path.split("/")
        if len(parts) > 2 and parts[1] == "products" and parts[2].isdigit():
            by_product[parts[2]] = by_product.get(parts[2], 0) + 1
    return web.json_response(
        {
            "calls_by_product": by_product,
            "uploads": uploads,
            "rate_limited": len(ecwid.rate_limited),
            "calls": len(ecwid.calls),
            # Before the first upload: the plan's look-ups, by kind.
            "plan_sku_searches": sum("sku" in c.query for c in lookups if c.path == "/products"),
            "plan_catalog_pages": sum(
                "sku" not in c.query and "productId" not in c.query and "keyword" not in c.query
                for c in lookups
                if c.path == "/products"
            ),
            "plan_other_lookups": sum(
                c.path == "/products" and ("productId" in c.query or "keyword" in c.query)
                for c in lookups
            ),
        }
    )


async def _image_hits(images: FakeImageHost) -> web.Response:
    """What the image host served, by path: [whole GETs, ranged reads (a Range header: the
    header of the image)]. Ecwid's CDN stand-in is a server of its own, not counted here."""
    by_path: dict[str, list[int]] = {}
    for hit in images.hits:
        by_path.setdefault(hit.path, [0, 0])[1 if hit.range is not None else 0] += 1
    return web.json_response(by_path)


AUDITED_FIRST = 30_001  # --audit N: the products of an audit's catalog
SHIRT = 900  # --shirt: Color (Red, Blue) × 30 sizes; every other Red variation shows an image
SHIRT_SIZES = [str(size) for size in range(36, 66)]


def _shirt(ecwid: FakeEcwid, images: FakeImageHost) -> None:
    """A shirt as Ecwid answers it (official client: FetchedProduct.ProductOption,
    FetchedVariation), and a WebP photo of it that Ecwid cannot take as it is."""
    variations = []
    for n, (color, size) in enumerate(
        [(c, s) for c in ("Red", "Blue") for s in SHIRT_SIZES], start=1
    ):
        variation: dict[str, object] = {
            "id": 9000 + n,
            "combinationNumber": n,
            "sku": f"SHIRT-{n}",
            "options": [{"name": "Color", "value": color}, {"name": "Size", "value": size}],
        }
        if color == "Red" and n % 2:  # its own image now: kept for Undo when replaced
            images.files[f"current/v{n}.jpg"] = Served(image_bytes("JPEG", 600, 600), "image/jpeg")
            own = images.link(f"current/v{n}.jpg")
            variation.update(imageUrl=own, originalImageUrl=own, alt={"main": f"Red {size}"})
        variations.append(variation)
    ecwid.combinations[SHIRT] = variations
    choices = {
        "Color": ["Red", "Blue"],
        "Size": SHIRT_SIZES,
    }
    ecwid.products[SHIRT] = {
        "id": SHIRT,
        "name": "Shirt",
        "sku": "SHIRT",
        "options": [
            {"type": "SELECT", "name": name, "choices": [{"text": v} for v in values]}
            for name, values in choices.items()
        ],
    }
    images.files["shirt-red.webp"] = Served(image_bytes("WEBP", 1200, 1200), "image/webp")
    images.files["shirt-red.jpg"] = Served(image_bytes("JPEG", 1200, 1200), "image/jpeg")


def _audit_catalog(ecwid: FakeEcwid, count: int) -> None:
    """`count` products as an audit finds them (benchmarks/audit.py): names in two languages,
    a main image with a size and alt texts (some missing), every third a gallery image, every
    tenth two variations (one with its own image); and 50 categories with images."""
    ecwid.languages = {"enabledLanguages": ["en", "nl"], "defaultLanguage": "en"}
    cdn = "https://d2j6dbq0eux0bg.cloudfront.net/images/1003"
    for n in range(AUDITED_FIRST, AUDITED_FIRST + count):
        alt = {"main": f"Shoe {n}", "translated": {"nl": f"Schoen {n}"}} if n % 4 else {}
        # A small photo of its own at the CDN, with Ecwid's copies (every 50th product's is
        # another's: the same picture on two products), compared by its 160 px copy.
        seed = n - 1 if n % 50 == 0 else n
        out = io.BytesIO()
        picture(f"audit-{seed}", (200, 150)).save(out, "JPEG", quality=85)
        original, renditions = ecwid.to_cdn(n, out.getvalue())
        images = [{"id": "0", "isMain": True, "orderBy": 0, "alt": alt, **renditions}]
        if n % 3 == 0:
            url = f"{cdn}/{n}-side.jpg"
            images.append({"id": "1", "orderBy": 1, "imageOriginalUrl": url, "alt": {}})
            ecwid.sizes[url] = (1200, 1200)
        ecwid.products[n] = {
            "id": n,
            "name": f"Item {n}",
            "nameTranslated": {"en": f"Item {n}", "nl": f"Artikel {n}"},
            "sku": f"AU-{n}",
            "originalImage": {"url": original, "width": 1600, "height": 1200},
            "media": {"images": images},
            "categoryIds": [n % 50 + 1],
            "defaultCategoryId": n % 50 + 1,
            "description": "<p>" + "A long description. " * 40 + "</p>",  # not asked for
        }
        if n % 10 == 0:
            ecwid.combinations[n] = [
                {
                    "id": n * 10 + 1,
                    "options": [{"name": "Color", "value": "Red"}],
                    "originalImageUrl": f"{cdn}/{n}-red.jpg",
                    "alt": {"main": "Red"},
                },
                {"id": n * 10 + 2, "options": [{"name": "Color", "value": "Blue"}]},
            ]
    ecwid.categories = {
        c: {
            "id": c,
            "name": f"Category {c}",
            "parentId": 0,
            "originalImage": {"url": f"{cdn}/c{c}.jpg", "width": 800, "height": 800},
            "alt": {"main": f"Category {c}"},
        }
        for c in range(1, 51)
    }


async def _arrivals(ecwid: FakeEcwid) -> web.Response:
    """When each call reached the loopback Ecwid (this host's monotonic clock), and how many
    it answered 429 (benchmarks/shared_budget.py)."""
    return web.json_response(
        {"at": [c.at for c in ecwid.calls], "rate_limited": len(ecwid.rate_limited)}
    )


async def _json(data: object) -> web.Response:
    return web.json_response(data)


async def _ecwid_calls(ecwid: FakeEcwid) -> web.Response:
    """Every call the loopback Ecwid answered: method, path, query and content type."""
    return web.json_response([[c.method, c.path, c.query, c.content_type] for c in ecwid.calls])


async def serve(
    upload_delay: float,
    products: int = 0,
    rate: str | None = None,
    *,
    by_sku: bool = False,
    catalog: int = 0,
    flood: int = 0,
    stocked: int = 0,
    spread: int = 0,
    photos: bool = False,
    shirt: bool = False,
    audit: int = 0,
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ecwid-image-bench-"))
    tls = TlsAuthority(folder)
    slack, ecwid, images = (
        FakeSlack(),
        FakeEcwid(tls.server_context(), tls.client_context()),
        FakeImageHost(tls),
    )
    ecwid.upload_delay = upload_delay
    images.default = Served(image_bytes("JPEG", 640, 480), "image/jpeg")
    if rate:
        calls, seconds = rate.split("/")
        ecwid.rate_limit = (int(calls), float(seconds))
    # A line per product, or with `spread`, the lines over that many products (round robin).
    lines = range(products)
    ids = [10_001 + (n % spread if spread else n) for n in lines]
    for n in range(10_001, 10_001 + max(products, catalog)):  # the job's products come first
        ecwid.products[n] = {"id": n, "name": f"Item {n}", "sku": f"B-{n}"}
    ecwid.web_app.router.add_get("/_stats", lambda _: _ecwid_stats(ecwid))
    ecwid.web_app.router.add_get("/_image_hits", lambda _: _image_hits(images))
    ecwid.web_app.router.add_get("/_calls", lambda _: _ecwid_calls(ecwid))
    ecwid.web_app.router.add_get("/_arrivals", lambda _: _arrivals(ecwid))
    ecwid.web_app.router.add_get(
        "/_cdn",
        lambda _: _json(
            {
                "requests": len(ecwid.cdn.requested),
                "originals": sum("-" not in name for name in ecwid.cdn.requested),
                "bytes": ecwid.cdn.served_bytes,
            }
        ),
    )
    if photos:  # benchmarks/convert.py: phone photos to convert
        from benchmarks.photos import bench_photos

        for name, (data, kind) in bench_photos().items():
            images.files[name] = Served(data, kind)
    for server in (slack, ecwid, images):
        await server.start()
    if shirt:  # benchmarks/option_values.py (its links name the image host's port)
        _shirt(ecwid, images)
    if audit:  # benchmarks/audit.py
        _audit_catalog(ecwid, audit)
    if products:  # a bulk job's CSV, shared in Slack: a line per product
        rows = ["product,image_url,width,height,alt"]
        rows += [
            f"{f'sku:B-{p}' if by_sku else p},{images.link(f'p{n}.jpg')},800,600,Item {p}"
            for n, p in zip(lines, ids, strict=True)
        ]
        slack.add_file("F0BULK", "bulk.csv", "\n".join(rows).encode(), mimetype="text/csv")
    for n in range(STOCKED_FIRST, STOCKED_FIRST + stocked):  # each with a current image
        ecwid.products[n] = {
            "id": n,
            "name": f"Stocked {n}",
            "sku": f"ST-{n}",
            "originalImage": {"url": images.link(f"current/{n}.jpg"), "width": 640, "height": 480},
            "media": {"images": [{"id": "0", "isMain": True, "orderBy": 0, "alt": {}}]},
        }
    if flood:  # a CSV of that many two-byte rows, shared in Slack (benchmarks/flood.py)
        slack.add_file("F0FLOOD", "flood.csv", b"product,image_url\n" + b"1\n" * flood, "text/csv")
    print(
        json.dumps(
            {
                "slack_api_url": slack.api_url,
                "slack_calls_url": slack.url("/_calls"),
                "response_url": slack.response_url(),
                "ecwid_api_url": ecwid.api_url,
                "ecwid_store_id": STORE_ID,
                "ecwid_token": TOKEN,
                "image_base": images.link(""),
                "ca_file": str(tls.ca_file),
                "ecwid_stats_url": ecwid.url("/_stats"),
                "image_hits_url": ecwid.url("/_image_hits"),
                "ecwid_calls_url": ecwid.url("/_calls"),
                "ecwid_arrivals_url": ecwid.url("/_arrivals"),
                "cdn_url": ecwid.url("/_cdn"),
                "csv_file": slack.file_object("F0BULK") if products else None,
                "flood_file": slack.file_object("F0FLOOD") if flood else None,
            }
        ),
        flush=True,
    )
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until stdin closes
    for server in (slack, ecwid, images):
        await server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("upload_delay", type=float, nargs="?", default=0.3)
    parser.add_argument("--products", type=int, default=0, help="and a CSV of a line for each")
    parser.add_argument("--rate", help="Ecwid's limit, CALLS/SECONDS (a sliding window)")
    parser.add_argument("--by-sku", action="store_true", help="the CSV names products by SKU")
    parser.add_argument("--catalog", type=int, default=0, help="products in the store in all")
    parser.add_argument("--flood", type=int, default=0, help="rows of a CSV of tiny rows")
    parser.add_argument("--stocked", type=int, default=0, help="products with a current image")
    parser.add_argument(
        "--spread", type=int, default=0, help="the CSV's lines over so many products"
    )
    parser.add_argument("--photos", action="store_true", help="serve 12 and 48 MP photos")
    parser.add_argument("--shirt", action="store_true", help="a shirt of 60 variations")
    parser.add_argument("--audit", type=int, default=0, help="an audit's catalog of N products")
    options = parser.parse_args()
    asyncio.run(
        serve(
            options.upload_delay,
            options.products,
            options.rate,
            by_sku=options.by_sku,
            catalog=options.catalog,
            flood=options.flood,
            stocked=options.stocked,
            spread=options.spread,
            photos=options.photos,
            shirt=options.shirt,
            audit=options.audit,
        )
    )
