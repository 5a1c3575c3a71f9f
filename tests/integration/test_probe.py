"""The image probe against a real HTTPS image host on loopback."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator

import pytest

from bot.images.probe import (
    CANNOT_CONNECT,
    MAX_BYTES_READ,
    ImageProbe,
    ProbeError,
    is_public_address,
)
from tests.fakes.image_host import (
    FakeImageHost,
    Served,
    TlsAuthority,
    image_bytes,
    jpeg_with_padding,
)
from tests.photos import sideways_jpeg


@pytest.fixture
async def probe(tls: TlsAuthority) -> AsyncIterator[ImageProbe]:
    """As the tests run the bot: loopback allowed, the test CA trusted."""
    probe = ImageProbe(allow_private_networks=True, ca_file=str(tls.ca_file), fetch_timeout=2)
    yield probe
    await probe.aclose()


@pytest.fixture
async def strict_probe(tls: TlsAuthority) -> AsyncIterator[ImageProbe]:
    """The default settings: only public addresses."""
    probe = ImageProbe(allow_private_networks=False, ca_file=str(tls.ca_file))
    yield probe
    await probe.aclose()


async def refusal(probe: ImageProbe, url: str) -> str:
    with pytest.raises(ProbeError) as error:
        await probe.probe(url)
    return str(error.value)


@pytest.mark.parametrize(
    ("name", "kind", "size"),
    [
        ("photo.jpg", "JPEG", (640, 480)),
        ("shoe.png", "PNG", (800, 600)),
        ("anim.gif", "GIF", (320, 200)),
    ],
)
async def test_reads_format_and_size(
    probe: ImageProbe, images: FakeImageHost, name: str, kind: str, size: tuple[int, int]
) -> None:
    info = await probe.probe(images.link(name))
    assert (info.format, (info.width, info.height)) == (kind, size)
    assert images.hits[0].range == f"bytes=0-{MAX_BYTES_READ - 1}"
    assert images.hits[0].host == f"localhost:{images.port}"


async def test_multi_megabyte_image_is_sized_from_its_start_even_when_range_is_ignored(
    probe: ImageProbe, images: FakeImageHost
) -> None:
    body = image_bytes("JPEG", 1600, 1200, noise=True)
    assert len(body) > 3 * 1024 * 1024
    images.files["big.jpg"] = Served(body, "image/jpeg")
    images.honor_range = False
    images.pace = 0.01
    info = await probe.probe(images.link("big.jpg"))
    assert (info.width, info.height) == (1600, 1200)
    assert info.bytes_read <= 64 * 1024
    await images.wait_until(lambda: "big.jpg" in images.sent_bytes)
    assert images.sent_bytes["big.jpg"] < len(body)  # the bot hung up early


async def test_reading_stops_at_the_1_mib_cap(probe: ImageProbe, images: FakeImageHost) -> None:
    images.honor_range = False
    images.files["deep.jpg"] = Served(jpeg_with_padding(900 * 1024), "image/jpeg")
    images.files["too-deep.jpg"] = Served(jpeg_with_padding(1100 * 1024), "image/jpeg")
    info = await probe.probe(images.link("deep.jpg"))
    assert (info.width, info.height, info.format) == (640, 480, "JPEG")
    assert 900 * 1024 < info.bytes_read <= MAX_BYTES_READ
    assert await refusal(probe, images.link("too-deep.jpg")) == (
        "The image's size is not within its first 1 MiB; give the size in the command "
        "(e.g. `800x600`) or the form."
    )
    # With the size given, the format is all the check needs: the image is usable.
    info = await probe.probe(images.link("too-deep.jpg"), need_size=False)
    assert (info.format, info.width, info.height) == ("JPEG", None, None)
    assert info.bytes_read == MAX_BYTES_READ


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "page.html",
            "The link leads to a web page, not an image file (JPG, PNG, GIF, HEIC, WebP, AVIF, TIFF or BMP).",
        ),
        ("missing.png", "The image link answered HTTP 404 Not Found."),
    ],
)
async def test_refusals(probe: ImageProbe, images: FakeImageHost, name: str, message: str) -> None:
    assert await refusal(probe, images.link(name)) == message


async def test_other_files_and_truncated_images(probe: ImageProbe, images: FakeImageHost) -> None:
    images.files["doc.pdf"] = Served(b"%PDF-1.7\n" + b"x" * 100, "application/pdf")
    images.files["cut.png"] = Served(image_bytes("PNG", 10, 10)[:20], "image/png")
    assert await refusal(probe, images.link("doc.pdf")) == (
        "The link is not a JPG, PNG, GIF, HEIC, WebP, AVIF, TIFF or BMP image (it sent application/pdf)."
    )
    assert await refusal(probe, images.link("cut.png")) == "The image file is cut short or damaged."


async def test_an_image_over_20_mb_is_to_be_converted_and_over_100_mb_refused(
    probe: ImageProbe, images: FakeImageHost
) -> None:
    images.files["big.png"] = Served(
        image_bytes("PNG", 10, 10), "image/png", claimed_total=25 * 1024 * 1024
    )
    images.files["huge.png"] = Served(
        image_bytes("PNG", 10, 10), "image/png", claimed_total=120 * 1024 * 1024
    )
    big = await probe.probe(images.link("big.png"))
    assert (big.format, big.file_bytes, big.ready_for_ecwid) == ("PNG", 25 * 1024 * 1024, False)
    assert await refusal(probe, images.link("huge.png")) == (
        "The image is 120.0 MB; the bot converts images of up to 100 MB."
    )


async def test_formats_ecwid_does_not_take_and_sideways_photos_are_to_be_converted(
    probe: ImageProbe, images: FakeImageHost
) -> None:
    images.files["sideways.jpg"] = Served(sideways_jpeg(), "image/jpeg")
    webp = await probe.probe(images.link("modern.webp"))
    assert (webp.format, webp.ready_for_ecwid) == ("WEBP", False)
    sideways = await probe.probe(images.link("sideways.jpg"))
    assert (sideways.format, sideways.orientation, sideways.ready_for_ecwid) == ("JPEG", 6, False)
    upright = await probe.probe(images.link("photo.jpg"))
    assert (upright.orientation, upright.ready_for_ecwid) == (1, True)


async def test_redirects_are_followed_by_hand_with_every_rule(
    probe: ImageProbe, images: FakeImageHost
) -> None:
    images.redirect("r1", "/shoe.png")
    images.redirect("to-http", f"http://localhost:{images.port}/shoe.png")
    for n in range(5):
        images.redirect(f"loop{n}", f"/loop{n + 1}")
    info = await probe.probe(images.link("r1"))
    assert (info.width, info.url) == (800, images.link("shoe.png"))
    assert await refusal(probe, images.link("to-http")) == (
        "The link (or a redirect) is not https://; only HTTPS images can be used."
    )
    assert await refusal(probe, images.link("loop0")) == "The link redirects more than 3 times."
    assert [h.path for h in images.hits if h.path.startswith("loop")] == [
        "loop0",
        "loop1",
        "loop2",
        "loop3",
    ]


async def test_slow_unreachable_and_untrusted_hosts(
    probe: ImageProbe, images: FakeImageHost, tls: TlsAuthority
) -> None:
    # Silent before answering, closed, or the wrong certificate: one neutral message, so the
    # check cannot tell open, closed and TLS ports apart.
    images.files["slow.png"] = Served(image_bytes("PNG", 10, 10), "image/png", delay=5)
    assert await refusal(probe, images.link("slow.png")) == CANNOT_CONNECT
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    assert await refusal(probe, f"https://127.0.0.1:{closed}/a.png") == CANNOT_CONNECT
    untrusting = ImageProbe(allow_private_networks=True, ca_file=None)
    try:
        assert await refusal(untrusting, images.link("shoe.png")) == CANNOT_CONNECT
    finally:
        await untrusting.aclose()
    # A host that answered but sends the file too slowly is told apart: it is an image host.
    images.files["trickle.jpg"] = Served(jpeg_with_padding(900 * 1024), "image/jpeg")
    images.pace = 0.5
    assert await refusal(probe, images.link("trickle.jpg")) == (
        "The image host did not send the image within 2 s."
    )


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "127.0.0.1",
        "127.1",
        "0x7f000001",
        "2130706433",
        "0177.0.0.1",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "10.0.0.1",
        "192.168.1.10",
        "172.16.5.4",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "[fe80::1]",
        "[fc00::1]",
        "[64:ff9b::7f00:1]",
        "[2002:7f00:1::]",
    ],
)
async def test_private_and_local_addresses_are_refused_before_any_connection(
    strict_probe: ImageProbe, images: FakeImageHost, host: str
) -> None:
    url = f"https://{host}:{images.port}/shoe.png"
    assert await refusal(strict_probe, url) == (
        "The link points to a private or local network address; only public https:// links can be used."
    )
    assert images.hits == []


async def test_malformed_hosts_are_refused(probe: ImageProbe) -> None:
    assert (
        await refusal(probe, "https://0177.0.0.1/a.png")
        == "The link is not a valid https:// address."
    )


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("8.8.8.8", True),
        ("127.0.0.1", False),
        ("100.100.100.100", False),
        ("169.254.169.254", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::808:808", True),
        ("64:ff9b::a00:1", False),
        ("2001::1", False),
        ("255.255.255.255", False),
        ("240.0.0.1", False),
    ],
)
def test_address_rule(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


async def test_unknown_host_is_named(strict_probe: ImageProbe) -> None:
    assert await refusal(strict_probe, "https://no-such-host.invalid/a.png") == (
        "The image host no-such-host.invalid could not be found."
    )


class Resolver:
    """Name resolution as the tests choose it; counts its lookups."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return self.answers.get(host, [])


async def test_the_fetch_goes_to_the_checked_address_without_a_second_lookup(
    images: FakeImageHost, tls: TlsAuthority
) -> None:
    # images.test exists only for this resolver: a second lookup by anyone else would fail,
    # and a rebinding answer (the next one) would never be used within the cache's 10 s.
    resolver = Resolver({"images.test": ["127.0.0.1"]})
    probe = ImageProbe(allow_private_networks=True, ca_file=str(tls.ca_file), resolver=resolver)
    try:
        first = await probe.probe(images.link("shoe.png", host="images.test"))
        resolver.answers["images.test"] = ["127.0.0.2"]  # nothing listens there
        second = await probe.probe(images.link("photo.jpg", host="images.test"))
    finally:
        await probe.aclose()
    assert (first.width, second.width) == (800, 640)
    assert resolver.lookups == ["images.test"]
    assert [hit.host for hit in images.hits] == [f"images.test:{images.port}"] * 2


@pytest.mark.parametrize(
    "answer",
    [["93.184.215.14", "127.0.0.1"], ["::ffff:10.0.0.1"], ["93.184.215.14", "169.254.169.254"]],
)
async def test_every_resolved_address_must_be_public(tls: TlsAuthority, answer: list[str]) -> None:
    probe = ImageProbe(
        allow_private_networks=False,
        ca_file=str(tls.ca_file),
        resolver=Resolver({"x.test": answer}),
    )
    try:
        assert (await refusal(probe, "https://x.test/a.png")).startswith(
            "The link points to a private or local network address"
        )
    finally:
        await probe.aclose()


@pytest.mark.parametrize("port", [22, 25, 80, 3306, 6379, 8080, 9200])
async def test_only_https_ports_are_used(tls: TlsAuthority, port: int) -> None:
    # A public address: the refusal comes before any connection would be tried.
    resolver = Resolver({"cdn.test": ["93.184.215.14"]})
    probe = ImageProbe(allow_private_networks=False, ca_file=str(tls.ca_file), resolver=resolver)
    try:
        assert await refusal(probe, f"https://cdn.test:{port}/a.png") == (
            f"The link uses port {port}; image links must use the standard HTTPS port "
            "(443, or 8443)."
        )
    finally:
        await probe.aclose()


async def test_a_port_that_is_not_https_gets_the_same_neutral_answer(probe: ImageProbe) -> None:
    async def banner(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(banner, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        assert await refusal(probe, f"https://127.0.0.1:{port}/a.png") == CANNOT_CONNECT
    finally:
        server.close()
        await server.wait_closed()


async def test_proxy_settings_are_ignored(
    images: FakeImageHost, tls: TlsAuthority, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy_hits: list[str] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        proxy_hits.append((await reader.readline()).decode())
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    address = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, address)
    monkeypatch.delenv("NO_PROXY", raising=False)
    probe = ImageProbe(allow_private_networks=True, ca_file=str(tls.ca_file))
    try:
        info = await probe.probe(images.link("shoe.png"))
    finally:
        await probe.aclose()
        server.close()
        await server.wait_closed()
    assert (info.width, info.height) == (800, 600)
    assert proxy_hits == []
    assert len(images.hits) == 1


async def test_the_ca_file_adds_to_the_standard_bundle(tls: TlsAuthority) -> None:
    from bot.images.probe import ssl_context

    standard = ssl_context(None).cert_store_stats()["x509_ca"]
    with_test_ca = ssl_context(str(tls.ca_file)).cert_store_stats()["x509_ca"]
    assert standard > 50 and with_test_ca == standard + 1
