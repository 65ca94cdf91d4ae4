"""Shared text files and snippets, read as pastes: a log too long for the paste modal's 3,000 characters.

A `message` event of subtype `file_share` carries its files. For each (at most FILES_PER_MESSAGE), the file's
metadata comes from the event or, when the event has too little (Slack Connect's `file_access:
check_file_info`), from files.info. Then, within limits, its `url_private_download` is fetched with the bot
token:

* only from the configured Slack host: the host of SLACK_API_URL itself, or `files.` + that host over https
  (https://slack.com/api/ → files.slack.com); never another host, so the token goes nowhere else, and no
  redirect is followed;
* only text: a text mimetype or Slack filetype, and no NUL byte in what arrives;
* at most FILE_MAX_BYTES (bot.render.slack.kit), checked on the size Slack reports and again while reading;
* within FILE_TIMEOUT_S.

A file that fails a limit gets one clear line (FileText.refusals). The text read goes into the same
diagnosis as a paste, so redaction applies and nothing is kept beyond what a paste keeps. Nothing here logs a
file's contents, its URL or the token.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.escape import escape_mrkdwn
from bot.render.slack.kit import FILE_MAX_BYTES
from bot.slack.services import Services

__all__ = [
    "FILES_PER_MESSAGE",
    "FILE_TIMEOUT_S",
    "FileText",
    "download_allowed",
    "has_files",
    "read_files",
    "refusal",
]

log = logging.getLogger(__name__)

FILES_PER_MESSAGE = 3
FILE_TIMEOUT_S = 10.0
_CHUNK = 64 * 1024
TEXT_MIMETYPES = frozenset({
    "application/json", "application/xml", "application/x-yaml", "application/yaml", "application/javascript",
    "application/x-sh", "application/x-httpd-php", "application/x-php", "application/toml",
})
# Slack's own filetype names for snippets and code files (files.info `filetype`)
TEXT_FILETYPES = frozenset({
    "text", "txt", "log", "markdown", "csv", "diff", "ini", "properties", "json", "yaml", "xml", "toml", "shell",
    "powershell", "python", "php", "javascript", "typescript", "java", "csharp", "go", "ruby", "perl", "rust",
    "kotlin", "sql", "dockerfile", "config", "env",
})


@dataclass(frozen=True)
class FileText:
    """What the shared files of one message gave: their text (joined), and one line per file not read."""

    text: str = ""
    refusals: tuple[str, ...] = field(default_factory=tuple)


def has_files(event: Mapping[str, Any]) -> bool:
    """Whether a message event shares files."""
    files = event.get("files")
    return isinstance(files, list) and any(isinstance(f, Mapping) and f.get("id") for f in files)


def _name(meta: Mapping[str, Any]) -> str:
    return escape_mrkdwn(str(meta.get("name") or meta.get("title") or meta.get("id") or "the file"))[:120]


def _is_text(meta: Mapping[str, Any]) -> bool:
    mimetype = str(meta.get("mimetype") or "").lower().split(";")[0].strip()
    filetype = str(meta.get("filetype") or "").lower()
    if mimetype.startswith("text/") and mimetype != "text/html":
        return True
    return mimetype in TEXT_MIMETYPES or filetype in TEXT_FILETYPES


def refusal(meta: Mapping[str, Any]) -> str | None:
    """Why a file is not read, from its metadata (one line of mrkdwn), or None to read it."""
    name = _name(meta)
    if not _is_text(meta):
        kind = escape_mrkdwn(str(meta.get("pretty_type") or meta.get("mimetype") or "unknown type"))[:40]
        return (f"I can only read text: *{name}* is {kind}. Send the log as a .txt or .log file, a text snippet, "
                "or paste it.")
    size = meta.get("size")
    if isinstance(size, int) and size > FILE_MAX_BYTES:
        return (f"*{name}* is {size / 1_000_000:.1f} MB; I read text files up to {FILE_MAX_BYTES // 1_000_000} MB. "
                "Send the part around the error (the last few hundred lines are usually enough).")
    return None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def download_allowed(url: str, api_url: str) -> bool:
    """Whether `url` is on the configured Slack host: SLACK_API_URL's own origin, or https on `files.` + its
    host (https://slack.com/api/ → https://files.slack.com/…)."""
    try:
        scheme, host, port = _origin(url)
        api_scheme, api_host, api_port = _origin(api_url)
    except ValueError:  # a malformed URL or port
        return False
    if not host or not api_host or "@" in urlsplit(url).netloc:
        return False
    if (scheme, host, port) == (api_scheme, api_host, api_port):
        return True
    return scheme == "https" and api_scheme == "https" and host == f"files.{api_host}" and port in (None, 443)


async def _metadata(client: AsyncWebClient, meta: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event's file object, or files.info's when the event lacks what is needed."""
    complete = meta.get("url_private_download") and meta.get("mimetype") and isinstance(meta.get("size"), int)
    if complete and meta.get("file_access") != "check_file_info":
        return meta
    resp = await client.files_info(file=str(meta["id"]))
    info = resp.get("file")
    return info if isinstance(info, Mapping) else meta


async def _download(services: Services, token: str, url: str, name: str) -> tuple[str | None, str | None]:
    """(text, None) or (None, one-line refusal)."""
    headers = {"Authorization": f"Bearer {token}"}
    timeout = aiohttp.ClientTimeout(total=FILE_TIMEOUT_S)
    own = services.http is None
    session = aiohttp.ClientSession() if own else services.http
    assert session is not None
    try:
        async with session.get(url, headers=headers, timeout=timeout, allow_redirects=False) as resp:
            if resp.status != 200:
                log.warning("file download answered HTTP %s", resp.status)
                return None, f"Slack did not hand me *{name}* (HTTP {resp.status}); paste the log or try again."
            if resp.content_type == "text/html":  # Slack's sign-in page: the token may not read files
                log.warning("file download answered an HTML page (is the files:read scope granted?)")
                return None, f"Slack did not let me read *{name}* (the app may lack the files:read scope)."
            body = bytearray()
            while chunk := await resp.content.read(_CHUNK):
                body.extend(chunk)
                if len(body) > FILE_MAX_BYTES:
                    return None, (f"*{name}* is larger than {FILE_MAX_BYTES // 1_000_000} MB; send the part around "
                                  "the error.")
    except TimeoutError:
        log.warning("file download timed out after %.0f s", FILE_TIMEOUT_S)
        return None, f"Reading *{name}* took too long; paste the log or try again."
    except aiohttp.ClientError as exc:
        log.warning("file download failed (%s)", type(exc).__name__)
        return None, f"I could not download *{name}*; paste the log or try again."
    finally:
        if own:
            await session.close()
    if b"\x00" in body[:8192]:
        return None, f"*{name}* is not a text file; send the log as text."
    text = body.decode("utf-8", errors="replace")
    if text.count("\ufffd") > max(20, len(text) // 20):
        return None, f"*{name}* is not UTF-8 text; send the log as text."
    return text, None


async def read_files(services: Services, client: AsyncWebClient, files: Sequence[Any]) -> FileText:
    """The text of a message's shared files, within the limits; a one-line refusal for each file not read."""
    texts: list[str] = []
    refusals: list[str] = []
    shared = [f for f in files if isinstance(f, Mapping) and f.get("id")]
    for meta in shared[:FILES_PER_MESSAGE]:
        try:
            meta = await _metadata(client, meta)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "error")
            log.warning("files.info failed: %s", error)
            hint = " (the app needs the files:read scope)" if error == "missing_scope" else ""
            refusals.append(f"I could not open *{_name(meta)}*: Slack answered `{escape_mrkdwn(error)}`{hint}.")
            continue
        why = refusal(meta)
        url = str(meta.get("url_private_download") or "")
        if why is None and not download_allowed(url, services.settings.slack_api_url):
            log.warning("refused to download a file from outside the Slack host")
            why = f"*{_name(meta)}* is not on Slack's file host, so I did not download it."
        if why is None:
            text, why = await _download(services, str(client.token or ""), url, _name(meta))
            if text is not None:
                texts.append(text)
        if why is not None:
            refusals.append(why)
    if len(shared) > FILES_PER_MESSAGE:
        refusals.append(f"I read the first {FILES_PER_MESSAGE} files of this message; send the others separately.")
    return FileText(text="\n".join(texts), refusals=tuple(refusals))
