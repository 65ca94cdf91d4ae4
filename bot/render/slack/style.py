"""How the app's own mrkdwn reads in Slack: every URL a real link, setting names in code. Pure.

The blocks carry `verbatim: true` (bot.render.slack.kit), so Slack links nothing by itself: a bare
`https://myaccount.google.com/apppasswords` in a fix would be dead text. `styled` turns the knowledge base's
text (a fix, a cause summary, a settings warning) into what a reader can act on:

* every bare `http(s)://` URL becomes `<url|label>` (the label is the address without its scheme, so a link
  never hides where it goes);
* setting names (`MAIL_ENCRYPTION`, `mail.smtp.starttls.enable`, `port=587`, `$config['smtp_user']`,
  `SMTPUser`, `smtp.office365.com`, `user@example.com`) go in `code`.

Only text the app writes goes through here. Text from a paste or a server (evidence, the SMTP dialogue) is
escaped and left alone, so a pasted `<!channel>` or `<http://x|y>` stays literal and a pasted address is never
made a link by us. Existing code spans, code blocks, links and entities (`<…>`) are kept as they are.
All patterns are RE2 (linear time).
"""

from __future__ import annotations

import re2

__all__ = ["LABEL_MAX", "bare_urls", "link", "styled"]

LABEL_MAX = 60  # a longer address is shown as its host and the start of its path

# What must not be touched: code blocks, inline code, links / mentions / entities already in Slack's <…> form.
_KEEP = re2.compile(r"(?s)```.*?```|`[^`\n]*`|<[^<>\n]*>")
_URL = re2.compile(r"https?://[^\s<>|`*\"]+")
_SETTING = re2.compile(
    r"[A-Za-z_$][\w.$\[\]'\-]*=[^\s=]*"  # key=value, key=
    r"|\$[A-Za-z_]\w*(?:\[[^\]\s]*\])*(?:-&gt;\w+)*"  # $config['smtp_user'], $mail-&gt;SMTPSecure (escaped ->)
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+"  # MAIL_ENCRYPTION
    r"|[a-z][a-z0-9]*(?:_[a-z0-9]+)+"  # smtp_user, start_tls
    r"|[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*){2,}"  # mail.smtp.starttls.enable, smtp.office365.com
    r"|(?:-&gt;|::)?[A-Za-z_][\w.]*\([^\s()]*\)"  # aiosmtplib.send(), -&gt;setEncryption('tls')
    r"|SMTP[A-Z][a-z]\w*"  # SMTPUser, SMTPSecure
    r"|(?:[A-Z][a-z0-9]+){3,}"  # UseDefaultCredentials
    r"|[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"  # user@example.com (a username)
)
_SLACK_FORMS = ("http://", "https://", "mailto:", "@", "#", "!")  # what Slack reads inside <…>
_LEAD = "([\"'*_"
_TRAIL = ".,;:!?\"'*_"


def _strip_url(url: str) -> str:
    """A URL without the sentence punctuation after it (a closing bracket only when it has no opener)."""
    while url:
        last = url[-1]
        if last in ".,;:!?'" or (last == ")" and url.count("(") < url.count(")")):
            url = url[:-1]
        elif url.endswith("&gt;") or url.endswith("&lt;"):
            url = url[:-4]
        else:
            break
    return url


def link(url: str) -> str:
    """`<url|label>`: the label is the address itself without its scheme (cut to LABEL_MAX)."""
    label = url.split("://", 1)[1].rstrip("/")
    if len(label) > LABEL_MAX:
        host, _, path = label.partition("/")
        label = host + ("/" + path[: max(0, LABEL_MAX - len(host) - 2)] + "…" if path else "")
    return f"<{url}|{label}>"


def _code_words(text: str) -> str:
    out: list[str] = []
    for word in text.split(" "):
        start, end = 0, len(word)
        while start < end and word[start] in _LEAD:
            start += 1
        while end > start and (word[end - 1] in _TRAIL
                               or (word[end - 1] == ")" and word[start:end].count("(") < word[start:end].count(")"))):
            end -= 1
        core = word[start:end]
        if core and _SETTING.fullmatch(core) and "://" not in core:
            word = f"{word[:start]}`{core}`{word[end:]}"
        out.append(word)
    return " ".join(out)


def _plain(text: str) -> str:
    """Links for bare URLs, code for setting names, in text with no code and no Slack <…> form in it; a
    template's literal `<placeholder>` is escaped so Slack shows it instead of reading it as a link."""
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    out: list[str] = []
    pos = 0
    for m in _URL.finditer(text):
        url = _strip_url(m.group(0))
        if "://" not in url or len(url.split("://", 1)[1]) < 3:
            continue
        out.append(_code_lines(text[pos:m.start()]))
        out.append(link(url))
        pos = m.start() + len(url)
    out.append(_code_lines(text[pos:]))
    return "".join(out)


def _code_lines(text: str) -> str:
    return "\n".join(_code_words(line) for line in text.split("\n"))


def styled(mrkdwn: str) -> str:
    """The app's own mrkdwn (already escaped) with links for bare URLs and setting names in code."""
    out: list[str] = []
    pos = 0
    for m in _KEEP.finditer(mrkdwn):
        kept = m.group(0)
        if kept.startswith("<") and not kept[1:].startswith(_SLACK_FORMS):
            continue  # a template's placeholder such as <tenant>: shown literally, below
        out.append(_plain(mrkdwn[pos:m.start()]))
        if kept.startswith("`"):  # Slack reads <…> even inside code: a template's <region> is shown, not parsed
            kept = kept.replace("<", "&lt;").replace(">", "&gt;")
        out.append(kept)
        pos = m.end()
    out.append(_plain(mrkdwn[pos:]))
    return "".join(out)


def bare_urls(mrkdwn: str) -> list[str]:
    """The URLs in `mrkdwn` that Slack would show as dead text: outside code and outside a <…> link."""
    found: list[str] = []
    pos = 0
    for m in _KEEP.finditer(mrkdwn):
        found.extend(u.group(0) for u in _URL.finditer(mrkdwn[pos:m.start()]))
        pos = m.end()
    found.extend(u.group(0) for u in _URL.finditer(mrkdwn[pos:]))
    return found
