"""Read the facts out of a paste: reply codes, enhanced status codes, hosts, port, TLS mode, username form,
sender domain, provider and client library.

Generic readers live here; what is specific to a provider or a library (its host names, its setting names,
its exception names) lives in knowledge/ and arrives through the KnowledgeBase. Pure; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import re2

from bot.kb.model import KnowledgeBase
from bot.kb.patterns import group, iterate, line_at
from bot.model import Facts
from bot.smtp import SUBMISSION_PORTS, TLS_MODES

__all__ = ["Extraction", "extract", "provider_of_host", "username_form"]

_O = re2.Options()
_O.log_errors = False


def _re(pattern: str) -> Any:
    return re2.compile(pattern, _O)


# "535 5.7.8 ...", "535-5.7.8", "421 4.7.0": a reply code followed by its enhanced code (RFC 3463).
_CODE_ENHANCED = _re(r"(?:^|[^\d.])([245]\d\d)[ -]#?([245]\.\d{1,3}\.\d{1,3})(?:[^\d.]|$)")
# Enhanced codes standing on their own: "(#5.7.1)", "status=5.7.26", "dsn=4.4.2", "5.7.139 Authentication…".
_ENHANCED = _re(r"(?i)(?:^|[\s(#\['\"=:,;]|status[ =:]|dsn=)([245]\.\d{1,3}\.\d{1,3})(?:[\s)\]'\",;:.]|$)")
# Reply codes in context: transcripts, exception fields, "got code 530", smtplib tuples, "(code 554)".
_CODE_CONTEXT = (
    _re(r"(?i)(?:response ?code|responsecode|reply code|smtp code|status code|error code|smtperrorcode|"
        r"statuscode|code|returned|smtp error|smtp|errno)\W{0,3}[\"'(\[]?([245]\d\d)\b"),
    _re(r"\(([245]\d\d), ?b?['\"]"),
    _re(r"(?mi)(?:server ?-> ?client:|^\s*s:|^\s*<-|^\s*<<<?|^\s*<~|\[smtp\] <-|response:)\s*['\"]?([245]\d\d)[ -]"),
    _re(r"(?m)(?:^|[\s'\":>])([245]\d\d)[ -](?:[A-Z][a-z]|[a-z]{3,}\b|[A-Z]{2,}\b|<|\[|\()"),
)
_EXPECTED = _re(r"(?i)expected (?:response )?code \"?(\d{3})")
_SKIP_CODE_CONTEXT = _re(r"(?i)(?:line|port|timeout|pid|#|v|version|http/\d\.\d|http)\W{0,2}$")

_HOSTNAME = r"((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,22}[a-z0-9])"
# "smtp.example.com:587", and Postfix/Exim's "mx.example.com[192.0.2.1]:25" (the address in brackets).
_HOST_PORT = _re(rf"(?i)(?:^|[^\w.@/-]|//){_HOSTNAME}(?:\[[0-9a-f.:]{{2,45}}\])?:(\d{{2,5}})\b")
# The keyword must end where a word ends: "host" inside "mx.hosting-provider.net" is not a setting name.
_HOST_SETTING = _re(
    rf"(?i)(?:smtp[_.-]?host|mail[_.-]?host|email[_.-]?host|smtp[_.-]?server|mail[_.-]?server|smtpserver|"
    rf"\bhost(?:name)?|\bserver(?:[_ ]?address)?|relayhost|smtp_addr|\baddress|opening to|"
    rf"connect(?:ing|ed)? to(?: host)?|"
    rf"getaddrinfo (?:enotfound|eai_again)|\bto host|unknown host|host:)(?:[^\w.-]\W{{0,5}}|$)\[?{_HOSTNAME}\]?")
_MAILISH = (r"(?:smtp|smtps|mail|email-smtp|smtpout|smtp-mail|smtp-relay|relay|outbound|mx|send|"
            r"smtpauth|secure|mailout|out)")
_SMTPISH_HOST = _re(r"(?i)^" + _MAILISH + r"[\w-]*\.")
_PORT = _re(r"(?i)(?:\bport\b|[_.]port\b|\bport_number)\W{0,5}(\d{2,5})\b")
_PORTS = "|".join(map(str, SUBMISSION_PORTS))
_IP_PORT = _re(rf"\b((?:\d{{1,3}}\.){{3}}\d{{1,3}}):({_PORTS})\b")
_IP_SETTING = _re(r"(?i)(?:smtp[_.-]?host|mail[_.-]?host|email[_.-]?host|\bhost|\bserver|relayhost|smtp_addr)"
                  r"[\"']?[ \t]*(?:=>|[:=])[ \t]*[\"'\[]?((?:\d{1,3}\.){3}\d{1,3})\b")
_PORT_AFTER_HOST = _re(rf"(?i){_HOSTNAME}\W{{1,3}}(?:port\W{{0,3}})?({_PORTS})\b")
_TLD_FILE = frozenset({"py", "php", "js", "ts", "java", "cs", "rb", "go", "json", "yaml", "yml", "log", "txt",
                       "xml", "html", "conf", "cfg", "ini", "env", "jar", "dll", "exe", "so", "class", "kt",
                       "vue", "jsx", "tsx", "md", "sh", "lock", "toml", "mjs", "cjs", "gradle", "properties",
                       # last labels of JavaMail/Spring property names (mail.smtp.starttls.enable), not TLDs
                       "enable", "required", "auth", "debug", "timeout", "connectiontimeout", "writetimeout",
                       "trust", "protocols", "host", "port", "user", "password", "from", "fallback"})
# Only assignments (KEY=value, key: value, "key": "value"): prose such as "the user credentials were incorrect"
# must not be read as a username.
_USERNAME = _re(r"(?i)(?:\busername|\buser[_ ]?name|\buser\b|smtp_?user|mail_?username|email_host_user|"
                r"smtp_login|auth_?user|\bsmtpusername)[\"']?[ \t]*(?:=>|[:=])[ \t]*[\"']?([^\s\"',;()<>{}]*)")
# A username in prose ("username marketing@example.com", "login is me@outlook.com"): only an address or SendGrid's
# `apikey` after the word, so "the user credentials were incorrect" or "username and password" stay unread.
_PROSE_USERNAME = _re(r"(?i)\b(?:user ?name|login|user)(?:\s+is)?\s+[\"'<`]?"
                      r"([a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}|apikey)\b")
_SENDER = _re(r"(?i)(?:\bfrom|sender|mail_from_address|default_from_email|from_email|mail from:)\W{0,6}"
              r"[^@\s\"'<>]*@([a-z0-9.-]+\.[a-z]{2,24})")
_ADDRESS_DOMAIN = _re(r"(?i)[a-z0-9._%+-]+@([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24})\b")
_EMAIL = _re(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}$")
# Prose that pairs a port with its mode: "port 465, SSL", "587 with STARTTLS", "465 (SSL/TLS)". A bare "TLS" is left
# out: apps use it for STARTTLS (Outlook, WordPress plugins) and for implicit TLS (Nodemailer's secure) alike.
_PORT_MODE = _re(r"(?i)\b(?:25|465|587|2525)\b[ \t]?[,/(]?[ \t]?(?:with |using |encryption:? )?"
                 r"(SSL/TLS|SSL|STARTTLS|implicit TLS)\b")
_PORT_MODES = {"ssl/tls": "implicit", "ssl": "implicit", "implicit tls": "implicit", "starttls": "starttls"}
_SCHEME = _re(r"(?i)\b(smtps?|smtp\+starttls)://")
_GREETING = _re(r"(?m)(?:^|[\s:>'\"])220[ -]" + _HOSTNAME + r"\b")
_AUTH_SENT = _re(r"(?i)\bAUTH (?:LOGIN|PLAIN|CRAM-MD5|XOAUTH2|NTLM)\b|\b334 |\bVXNlcm5hbWU6|\bUGFzc3dvcmQ6|"
                 r"\.login\(|authenticate\(|SMTPAuth\s*=\s*true|mail\.smtp\.auth\s*=\s*true|auth:\s*\{|"
                 r"NetworkCredential\(|\[REDACTED:(?:password|app_password|url_password|sendgrid_key|ses_smtp_password)\]")
_AUTH_OK = _re(r"(?m)(?:^|[\s:>'\"])235[ -]")
# An MTA delivering straight to the recipient's MX (no relay host): Postfix's smtp(8), Exim's dnslookup router
# and remote_smtp transport, sendmail's esmtp mailer. On port 25 the fix is a relay host or lifting the block,
# not "use 587" (the recipient's MX takes no submission).
_MTA_DELIVERY = _re(r"\bpostfix/smtp\[\d+\]|\bR=dnslookup\b|\bT=remote_smtp\b|\bmailer=esmtp\b")
_RELAY_SET = _re(r"(?im)^\s*(?:relayhost\s*=\s*\S|smarthost\b|define\(`SMART_HOST')")


def _is_literal(kb: KnowledgeBase, provider: str | None, username: str | None) -> bool:
    """The username is the provider's documented literal one (SparkPost's `SMTP_Injection`): kept in the facts so
    the settings lint can see it is right (other local-part usernames are not kept)."""
    known = kb.providers.get(provider) if provider else None
    rule = (known.data.get("username") or {}) if known is not None else {}
    value = rule.get("value") if rule.get("form") == "literal" else None
    return bool(value and username and username.strip().strip("\"'").lower() == str(value).lower())


@dataclass(frozen=True)
class Extraction:
    """Facts plus where they were seen, for evidence lines."""

    facts: Facts
    code_lines: dict[str, str]      # "535" / "5.7.8" -> the line it was read from
    matched: frozenset[int]         # PatternBank indices that matched the text
    data: bytes = b""               # the text's UTF-8 bytes, which every pattern runs on


def username_form(value: str | None) -> str | None:
    """Classify a username: full_address, apikey, aws_key_id, empty, local_part or other."""
    if value is None:
        return None
    value = value.strip().strip("\"'")
    if value in ("", "''", '""', "null", "None", "nil"):
        return "empty"
    if value.lower() == "apikey":
        return "apikey"
    if "aws_access_key_id" in value or (value.startswith(("AKIA", "ASIA")) and len(value) == 20):
        return "aws_key_id"
    if "@" in value:
        return "full_address" if _EMAIL.match(value) else "other"
    if value.startswith("[REDACTED:aws_access_key_id]"):
        return "aws_key_id"
    if value.startswith(("$", "%", "{", "[REDACTED", "<", "*")) or value.isdigit():
        return None
    return "local_part"


def _site(host: str) -> str:
    """The last two labels of a host name: enough to tell gmail.com from hostingblues.com."""
    return ".".join(host.rsplit(".", 2)[-2:])


def _intercepted(greeting_host: str, host: str, provider: Any) -> bool:
    """A provider's host was dialled but someone else greeted: a host or network is intercepting port 25/587."""
    if not (host in provider.hosts or host.endswith(provider.host_suffixes)):
        return False
    own = {_site(h) for h in provider.hosts} | {_site(s.lstrip(".")) for s in provider.host_suffixes}
    # The provider's own web domains (its docs) count as its own: Gmail also greets as mx.google.com.
    own |= {_site(str(d.get("url", "")).split("/")[2])
            for d in provider.data.get("docs", []) if "//" in str(d.get("url"))}
    return _site(greeting_host) not in own and _site(greeting_host) != _site(host)


def _codes(data: bytes) -> tuple[list[int], list[str], dict[str, str]]:
    codes: list[int] = []
    enhanced: list[str] = []
    lines: dict[str, str] = {}
    expected = {m.start(1) for m in iterate(_EXPECTED, data)}

    def add_code(value: str, start: int, end: int) -> None:
        if start in expected:
            return
        codes.append(int(value))
        lines.setdefault(value, line_at(data, start, end))

    for m in iterate(_CODE_ENHANCED, data):
        add_code(group(m, 1), m.start(1), m.end(2))
        enhanced.append(group(m, 2))
        lines.setdefault(group(m, 2), line_at(data, m.start(1), m.end(2)))
    for m in iterate(_ENHANCED, data):
        before = data[max(0, m.start(1) - 10):m.start(1)].decode("utf-8", "replace").lower()
        if "version" in before or before.rstrip().endswith(("v", "exim", "php", "tls")):
            continue
        enhanced.append(group(m, 1))
        lines.setdefault(group(m, 1), line_at(data, m.start(1), m.end(1)))
    for regex in _CODE_CONTEXT:
        for m in iterate(regex, data):
            if _SKIP_CODE_CONTEXT.search(data[max(0, m.start(1) - 12):m.start(1)]):
                continue
            add_code(group(m, 1), m.start(1), m.end(1))
    return list(dict.fromkeys(codes)), list(dict.fromkeys(enhanced)), lines


def _plausible_host(host: str, original: str = "") -> bool:
    """A host name, not a file name, a version or a dotted class name such as smtplib.SMTPAuthenticationError."""
    if any(label != label.lower() and label != label.upper() for label in original.split(".")):
        return False  # MixedCase labels are code (System.Net.Mail, SmtpClient.Send), not DNS names
    tld = host.rsplit(".", 1)[-1]
    return "." in host and tld not in _TLD_FILE and not tld.isdigit() and not host.startswith(("www.", "support."))


def _hosts(data: bytes, kb: KnowledgeBase) -> tuple[list[str], str | None, int | None]:
    """Every SMTP-looking host (first seen first), the host the settings point at, and a port."""
    hosts: list[str] = []
    setting_host = None
    port = None
    for m in iterate(_HOST_PORT, data):
        original = group(m, 1)
        host, value = original.lower(), int(group(m, 2))
        if _plausible_host(host, original) and 1 <= value <= 65535:
            hosts.append(host)
            if setting_host is None and (_SMTPISH_HOST.search(host) or value in SUBMISSION_PORTS):
                setting_host, port = host, value
    for m in iterate(_HOST_SETTING, data):
        original = group(m, 1)
        host = original.lower()
        if _plausible_host(host, original):
            hosts.append(host)
            setting_host = setting_host or host
    if setting_host is None:
        # No host name anywhere: an IP address in the settings or next to a submission port stands in for it.
        ip = _IP_SETTING.search(data) or _IP_PORT.search(data)
        if ip:
            setting_host = group(ip, 1)
            hosts.append(setting_host)
            if ip.re.groups >= 2 and port is None:
                port = int(group(ip, 2))
    known = _known_hosts(kb)
    for m in iterate(_mail_hosts(kb), data):
        original = group(m, 1)
        if _plausible_host(original.lower(), original):
            hosts.append(original.lower())
    hosts = list(dict.fromkeys(hosts))
    if setting_host is None:
        smtpish = [h for h in hosts if _SMTPISH_HOST.search(h) or h in known]
        setting_host = smtpish[0] if smtpish else None
    if port is None:
        m = _PORT.search(data) or _PORT_AFTER_HOST.search(data) or _IP_PORT.search(data)
        if m:
            value = int(group(m, m.re.groups))
            port = value if 1 <= value <= 65535 else None
    return hosts, setting_host, port


def _mail_hosts(kb: KnowledgeBase) -> Any:
    """One pattern for the host names worth keeping: mail-looking prefixes, and the providers' hosts and suffixes
    (built once per knowledge base: matching every dotted name of a stack trace cost more than the rest)."""
    cached = kb.cache.get("_mail_hosts")
    if cached is None:
        literal = sorted(_known_hosts(kb), key=len, reverse=True)
        suffixes = sorted({s.lstrip(".") for s in _suffixes(kb)}, key=len, reverse=True)
        alternatives = [_MAILISH + r"[\w-]*\.(?:[a-z0-9-]+\.)*[a-z][a-z0-9-]{0,22}[a-z0-9]"]
        alternatives += [re2.escape(h) for h in literal]
        if suffixes:
            alternatives.append(r"(?:[a-z0-9-]+\.)+(?:" + "|".join(re2.escape(x) for x in suffixes) + ")")
        cached = _re(r"(?i)(?:^|[^\w.@/-])(" + "|".join(alternatives) + r")(?:[^\w.-]|$)")
        kb.cache["_mail_hosts"] = cached
    return cached


def _known_hosts(kb: KnowledgeBase) -> frozenset[str]:
    cached = kb.cache.get("_known_hosts")
    if cached is None:
        cached = frozenset(h for p in kb.providers.values() for h in p.hosts)
        kb.cache["_known_hosts"] = cached
    return frozenset(cached)


def _suffixes(kb: KnowledgeBase) -> tuple[str, ...]:
    cached = kb.cache.get("_host_suffixes")
    if cached is None:
        cached = tuple(s for p in kb.providers.values() for s in p.host_suffixes)
        kb.cache["_host_suffixes"] = cached
    return tuple(cached)


@dataclass(frozen=True)
class _Owners:
    """Which provider or client each pattern, host and domain belongs to, built once per knowledge base, so a
    paste is scored by walking the few patterns that matched rather than every entry's list."""

    provider_patterns: dict[int, list[tuple[str, float]]]
    provider_hosts: dict[str, str]
    provider_suffixes: tuple[tuple[str, str], ...]
    provider_domains: dict[str, str]
    client_patterns: dict[int, list[tuple[str, float]]]


def _owners(kb: KnowledgeBase) -> _Owners:
    cached = kb.cache.get("_owners")
    if isinstance(cached, _Owners):
        return cached
    provider_patterns: dict[int, list[tuple[str, float]]] = {}
    client_patterns: dict[int, list[tuple[str, float]]] = {}
    for provider in kb.providers.values():
        for index in provider.patterns:
            provider_patterns.setdefault(index, []).append((provider.id, 3.0))
        for index in provider.names:
            provider_patterns.setdefault(index, []).append((provider.id, 1.5))
    for client in kb.clients.values():
        for index in client.patterns:
            client_patterns.setdefault(index, []).append((client.id, client.weight))
    owners = _Owners(
        provider_patterns=provider_patterns,
        provider_hosts={h: p.id for p in kb.providers.values() for h in p.hosts},
        provider_suffixes=tuple((sfx, p.id) for p in kb.providers.values() for sfx in p.host_suffixes),
        provider_domains={d: p.id for p in kb.providers.values() for d in p.domains},
        client_patterns=client_patterns)
    kb.cache["_owners"] = owners
    return owners


def provider_of_host(kb: KnowledgeBase, host: str) -> str | None:
    """THE provider recogniser for a host name (extraction and the probe's status feed both ask it): a host the
    provider file names exactly, else the first provider (in knowledge-base order) with a matching ".suffix"."""
    owners = _owners(kb)
    host = host.lower().rstrip(".")
    return owners.provider_hosts.get(host) or next((p for sfx, p in owners.provider_suffixes if host.endswith(sfx)),
                                                    None)


def _provider(kb: KnowledgeBase, matched: frozenset[int], hosts: list[str], host: str | None,
              domains: list[str]) -> str | None:
    """The provider the paste is about: its hosts weigh most, then its own wording, then mailbox domains."""
    owners = _owners(kb)
    scores: dict[str, float] = {}
    for i, h in enumerate(hosts):
        pid = provider_of_host(kb, h)
        if pid:
            scores[pid] = scores.get(pid, 0.0) + (6 if h == host else max(4 - i, 2))
    for index in matched:
        for pid, weight in owners.provider_patterns.get(index, ()):
            scores[pid] = scores.get(pid, 0.0) + weight
    for domain in domains:
        pid = owners.provider_domains.get(domain)
        if pid:
            scores[pid] = scores.get(pid, 0.0) + 1
    if not scores:
        return None
    # Ties go to the provider listed first in the knowledge base, as before: stable answers for equal evidence.
    order = {pid: i for i, pid in enumerate(kb.providers)}
    best = max(scores, key=lambda pid: (scores[pid], -order[pid]))
    return best if scores[best] >= 1.5 else None


def _client(kb: KnowledgeBase, matched: frozenset[int]) -> str | None:
    """The mail library or app with the most weighted recognisers matched."""
    scores: dict[str, float] = {}
    for index in matched:
        for cid, weight in _owners(kb).client_patterns.get(index, ()):
            scores[cid] = scores.get(cid, 0.0) + weight
    if not scores:
        return None
    order = {cid: i for i, cid in enumerate(kb.clients)}
    return max(scores, key=lambda cid: (scores[cid], -order[cid]))


def _client_facts(data: bytes, kb: KnowledgeBase, matched: frozenset[int], client: str | None) -> dict[str, str]:
    """Settings read by the knowledge base's fact readers; the detected client's readers win."""
    found: dict[str, str] = {}
    ordered = sorted(kb.clients.values(), key=lambda c: c.id != client)
    for c in ordered:
        for reader in c.facts:
            if reader.pattern not in matched or reader.fact in found:
                continue
            m = kb.bank.first(reader.pattern, data)
            if m is None:
                continue
            raw = group(m, "v").strip().strip("\"'")
            value = reader.values.get(raw.lower(), raw) if reader.values else raw
            if reader.fact == "tls_mode" and value not in TLS_MODES:
                continue
            if value or reader.fact == "username":
                found[reader.fact] = value
    return found


def extract(text: str, kb: KnowledgeBase, *, secrets: tuple[str, ...] = ()) -> Extraction:
    """Facts from normalised, redacted text."""
    data = text.encode("utf-8", "replace")
    matched = kb.bank.scan(data)
    codes, enhanced, code_lines = _codes(data)
    hosts, host, port = _hosts(data, kb)
    addresses = [group(m, 1).lower() for m in iterate(_ADDRESS_DOMAIN, data)]
    client = _client(kb, matched)
    settings = _client_facts(data, kb, matched, client)
    if settings.get("host") and _plausible_host(settings["host"].lower()):
        host = settings["host"].lower()
        if host not in hosts:
            hosts.insert(0, host)
    if settings.get("port", "").isdigit() and 1 <= int(settings["port"]) <= 65535:
        port = int(settings["port"])
    tls_mode = settings.get("tls_mode")
    scheme = _SCHEME.search(data)
    if tls_mode is None and scheme:
        tls_mode = "implicit" if group(scheme, 1).lower() == "smtps" else None
    if tls_mode is None and (said := _PORT_MODE.search(data)):
        tls_mode = _PORT_MODES[group(said, 1).lower()]
    user_match = _USERNAME.search(data)
    username = settings.get("username", group(user_match, 1) if user_match else None)
    prose = username is None and (said_user := _PROSE_USERNAME.search(data)) is not None
    if prose:
        username = group(said_user, 1)
    form = username_form(username)
    provider = _provider(kb, matched, hosts, host, addresses)
    sender = _SENDER.search(data)
    language = kb.clients[client].language if client else None
    greeting = _GREETING.search(data)
    greeting_host = group(greeting, 1).lower() if greeting else None
    flags = []
    if _AUTH_SENT.search(data) or (form in ("full_address", "apikey", "aws_key_id") and not prose):
        flags.append("auth_attempted")
    if _AUTH_OK.search(data):
        flags.append("auth_succeeded")
    if greeting_host and host and provider and _intercepted(greeting_host, host, kb.providers[provider]):
        flags.append("intercepted")
    if port == 25 and _MTA_DELIVERY.search(data) and not _RELAY_SET.search(data):
        flags.append("mx_delivery")
    keep_username = form in ("full_address", "apikey") or _is_literal(kb, provider, username)
    facts = Facts(
        reply_codes=tuple(codes), enhanced_codes=tuple(enhanced), hosts=tuple(hosts[:10]), host=host, port=port,
        tls_mode=tls_mode, username=username if keep_username else None,
        username_form=form, provider=provider, client=client, language=language,
        sender_domain=group(sender, 1).lower() if sender else None, secrets=secrets, flags=tuple(flags),
        greeting_host=greeting_host)
    return Extraction(facts=facts, code_lines=code_lines, matched=matched, data=data)
