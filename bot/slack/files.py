"""Files shared in Slack, as Slack describes them: message files, file_input state, files.info."""

from __future__ import annotations

from typing import Any

from bot.domain.requests import SharedFile
from bot.images.probe import ProbeError
from bot.images.shared_files import Describe
from bot.slack.client import SLACK_FAILURES, BoundedWebClient, slack_error

# A first guess; the bytes decide.
IMAGE_MIMETYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/heic",
    "image/heif",
    "image/webp",
    "image/avif",
    "image/tiff",
    "image/bmp",
)
FILE_INFO_SECONDS = 5.0


def shared_file(data: Any) -> SharedFile | None:
    """A file object (or a Slack Connect stub, which has only an id) as a SharedFile."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return None
    stub = data.get("file_access") == "check_file_info"
    url = data.get("url_private_download") or data.get("url_private")
    size = data.get("size")
    return SharedFile(
        id=data["id"],
        name=str(data.get("name") or data.get("title") or ""),
        mimetype=str(data.get("mimetype") or ""),
        size=size if isinstance(size, int) else None,
        download_url=None if stub or not isinstance(url, str) else url,
        thumb_url=next(
            (
                data[k]
                for k in ("thumb_360", "thumb_480", "thumb_160")
                if isinstance(data.get(k), str)
            ),
            None,
        ),
    )


def image_files(files: Any) -> tuple[SharedFile, ...]:
    """The files that look like images the bot takes (stubs too: their type is unknown yet)."""
    found = []
    for data in files if isinstance(files, list) else []:
        file = shared_file(data)
        stub = isinstance(data, dict) and data.get("file_access") == "check_file_info"
        if file is not None and (stub or file.mimetype in IMAGE_MIMETYPES):
            found.append(file)
    return tuple(found)


def describer(slack: BoundedWebClient) -> Describe:
    """files.info for a stub: the bytes' whereabouts, for the file reader."""

    async def describe(file_id: str) -> SharedFile:
        try:
            response = await slack.files_info(file=file_id)
        except SLACK_FAILURES as exc:
            raise ProbeError(
                f"Slack would not describe the file ({slack_error(exc)}); the bot needs the "
                "files:read scope and access to the file."
            ) from exc
        described = shared_file(response.get("file"))
        if described is None or described.download_url is None:
            raise ProbeError("Slack did not say where to download the file.")
        return described

    return describe
