"""`run_probe`: one live probe of a target, from parsing it to the findings.

Order of work: parse the target (targets.py) → port allow-list → rate-limit hook → concurrency slot →
resolve once (dns.py) → SSRF check of every address → all ports at once, each racing every address Happy
Eyeballs style (eyeballs.py, smtp.py) — or, for a bare mail domain (MX records, no port given, not its own MX),
its first two MX hosts on 25 and the submission host its provider documents —
together with SPF/DMARC of the sender domain and the provider's status feed (status.py) → findings.py.
Nothing here raises for what a server or the network does; it raises InputError for unreadable targets,
TargetNotAllowed for refused ones, ProbeError when the probe cannot run, ProbeTimeout if the budget is spent
before any port could be tried.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import dns.asyncresolver

from bot.errors import InputError, ProbeError, ProbeTimeout, TargetNotAllowed
from bot.extract import provider_of_host
from bot.kb.model import KnowledgeBase
from bot.probe.dialogue import DialogueSink, for_host
from bot.probe.dns import feed_resolver, lookup_host, lookup_sender, make_resolver
from bot.probe.findings import findings_for
from bot.probe.limits import ProbeLimits, RateKey, RateLimiter
from bot.probe.report import DnsFacts, PortResult, ProbeReport, StatusFeed
from bot.probe.smtp import DEFAULT_EHLO_NAME, StepTimeouts, budget_cut, new_progress, probe_port
from bot.probe.status import fetch_status
from bot.probe.targets import (
    TLS_MODES,
    IPAddress,
    Network,
    Target,
    address_refusal,
    check_addresses,
    check_port,
    parse_target,
)
from bot.probe.tls import Contexts, client_contexts
from bot.smtp import IMPLICIT_TLS_PORTS

__all__ = ["DEFAULT_BUDGET_S", "run_probe"]

DEFAULT_BUDGET_S = 15.0
_MARGIN_S = 0.05
_T = TypeVar("_T")
_default_limits: ProbeLimits | None = None


def _limits(limits: ProbeLimits | None) -> ProbeLimits:
    global _default_limits
    if limits is not None:
        return limits
    if _default_limits is None:
        _default_limits = ProbeLimits()
    return _default_limits


async def run_probe(
    target: str | Target,
    *,
    allow_networks: Sequence[Network] = (),
    timeout_s: float = DEFAULT_BUDGET_S,
    ports: Sequence[int] | None = None,
    sender_domain: str | None = None,
    credentials: tuple[str, str] | None = None,
    providers: KnowledgeBase | None = None,
    status_feed_url: str | None = None,
    resolver: dns.asyncresolver.Resolver | None = None,
    nameservers: Sequence[str] = (),
    step_timeout_s: float | None = None,
    connect_timeout_s: float | None = None,
    ca_file: str | None = None,
    ehlo_name: str = DEFAULT_EHLO_NAME,
    limits: ProbeLimits | None = None,
    rate_limiter: RateLimiter | None = None,
    rate_key: RateKey | None = None,
    port_map: Mapping[int, int] | None = None,
    on_dialogue: DialogueSink | None = None,
    tls_mode: str | None = None,
) -> ProbeReport:
    """Probe a target and return what was seen, with findings.

    `allow_networks` is PROBE_ALLOW_NETWORKS (empty: public addresses only). `timeout_s` caps the whole probe.
    `ports` overrides the target's port(s); each must be a submission port. `credentials` (user, password)
    come out of band and are used for AUTH only, over TLS only, never kept. `providers` is the knowledge
    base, for provider recognition and the status feed; `status_feed_url` replaces the
    feed URL (tests). `resolver`/`nameservers` choose DNS. `ca_file` replaces the trust store (tests, lab).
    `port_map` dials another TCP port for a submission port ({465: 20465}): for tests and the lab only,
    never wired to user input, so the production allow-list stays as it is. `on_dialogue(port, line)` receives
    each port's SMTP dialogue as it happens (bot.probe.dialogue; `smtp-help probe -v`, terminal progress).
    `tls_mode` ("starttls" | "implicit" | "none", `--tls`) forces one mode on every port of the target instead of
    the port's usual one; "none" never upgrades and so never sends credentials. Forcing a mode (or ports) probes
    the name itself, never a mail domain's MX.
    """
    started = time.monotonic()
    if tls_mode is not None and tls_mode not in TLS_MODES:
        raise InputError(f"TLS mode must be one of {', '.join(TLS_MODES)}")
    tgt = target if isinstance(target, Target) else parse_target(target)
    wanted = tuple(dict.fromkeys(ports)) if ports else tgt.ports
    for p in wanted:
        check_port(p)
    if rate_limiter is not None and not await rate_limiter.acquire(rate_key or RateKey(target=tgt.host)):
        raise ProbeError("probe rate limit reached; try again later")
    steps = StepTimeouts(
        connect=connect_timeout_s or min(5.0, timeout_s), step=step_timeout_s or min(10.0, timeout_s)
    )
    async with _limits(limits).slot():
        try:
            async with asyncio.timeout(timeout_s):
                return await _probe(
                    tgt,
                    wanted,
                    started=started,
                    budget=timeout_s,
                    steps=steps,
                    allow_networks=allow_networks,
                    sender_domain=sender_domain,
                    credentials=credentials,
                    providers=providers,
                    status_feed_url=status_feed_url,
                    resolver=resolver,
                    nameservers=nameservers,
                    ca_file=ca_file,
                    ehlo_name=ehlo_name,
                    port_map=port_map or {},
                    on_dialogue=on_dialogue,
                    forced=bool(ports) or tls_mode is not None,
                    tls_mode=tls_mode,
                )
        except TimeoutError:
            raise ProbeTimeout(f"the probe of {tgt.display} ran out of its {timeout_s:g} s budget") from None


@dataclasses.dataclass(frozen=True)
class _OtherHost:
    """A host probed for a bare mail domain: an MX on 25, or the submission host its provider documents."""

    host: str
    port: int
    role: str  # mx | submission
    implicit: bool = False
    provider: str | None = None


MX_PROBED = 2  # the first two MX hosts by preference
MX_PORT = 25


async def _resolved(result: PortResult) -> PortResult:
    return result


def _submission_entries(kb: KnowledgeBase, provider: str) -> list[_OtherHost]:
    """The first submission host the provider documents, on up to two of its documented ports."""
    rows = [r for r in kb.providers[provider].data.get("submission") or () if isinstance(r, dict)]
    out: list[_OtherHost] = []
    for row in rows:
        try:
            host = parse_target(str(row.get("host", ""))).host
            port = check_port(int(row.get("port", 0)))
        except (InputError, TargetNotAllowed, ValueError, TypeError):
            continue
        if out and host != out[0].host:
            continue
        out.append(_OtherHost(host=host, port=port, role="submission", implicit=row.get("tls") == "implicit",
                              provider=provider))
    return out[:2]


def _mail_domain_hosts(
    tgt: Target, facts: DnsFacts, kb: KnowledgeBase | None, provider: str | None
) -> list[_OtherHost]:
    """The hosts to probe when the target is a bare mail domain, else []: a name given without a port that has MX
    records, is not its own MX and is not a submission host a provider documents."""
    mx_hosts = [h.lower().rstrip(".") for _p, h in facts.mx if h.strip(".@ ")]
    if tgt.ip is not None or tgt.port is not None or not facts.mx or tgt.host in mx_hosts:
        return []
    if kb is not None and any(tgt.host == str(r.get("host", "")).lower() for p in kb.providers.values()
                              for r in p.data.get("submission") or () if isinstance(r, dict)):
        return []
    out = [_OtherHost(host=h, port=MX_PORT, role="mx") for h in mx_hosts[:MX_PROBED]]
    if kb is not None:
        known = provider or _provider_of_domain(kb, tgt.host) or next(
            (p for h in mx_hosts if (p := provider_of_host(kb, h))), None)
        if known is not None:
            out += _submission_entries(kb, known)
    return out


def _provider_of_domain(kb: KnowledgeBase, domain: str) -> str | None:
    """The provider whose mailbox domain this is (gmail.com → gmail), from the provider files' recognise.domains."""
    return next((p.id for p in kb.providers.values() if domain in p.domains), None)


async def _probe(
    tgt: Target,
    wanted: Sequence[int],
    *,
    started: float,
    budget: float,
    steps: StepTimeouts,
    allow_networks: Sequence[Network],
    sender_domain: str | None,
    credentials: tuple[str, str] | None,
    providers: KnowledgeBase | None,
    status_feed_url: str | None,
    resolver: dns.asyncresolver.Resolver | None,
    nameservers: Sequence[str],
    ca_file: str | None,
    ehlo_name: str,
    port_map: Mapping[int, int],
    on_dialogue: DialogueSink | None = None,
    forced: bool = False,
    tls_mode: str | None = None,
) -> ProbeReport:
    def remaining() -> float:
        return budget - (time.monotonic() - started) - _MARGIN_S

    res = None
    if tgt.ip is None or sender_domain:
        res = resolver or make_resolver(nameservers=nameservers, lifetime=min(4.0, budget / 3))
    provider = provider_of_host(providers, tgt.host) if providers is not None else None
    timings: dict[str, float] = {}

    async def timed(name: str, work: Callable[[], Awaitable[_T]]) -> _T:
        t0 = time.monotonic()
        try:
            return await work()
        finally:
            timings[name] = round((time.monotonic() - t0) * 1000, 1)

    async def one_port(
        port: int,
        addresses: Sequence[IPAddress],
        contexts: Contexts,
        other: _OtherHost | None = None,
    ) -> PortResult:
        if other is not None:
            implicit = other.implicit
        elif tls_mode is not None:
            implicit = tls_mode == "implicit"
        else:
            implicit = (
                port in IMPLICIT_TLS_PORTS if tgt.implicit_tls is None or len(wanted) > 1 else tgt.implicit_tls
            )
        acc = new_progress(port=port, address=addresses[0], implicit=implicit,
                           sink=for_host(on_dialogue, other.host if other is not None else None))
        plaintext = other is None and tls_mode == "none"
        if plaintext:
            acc.expected_tls = "none"  # forced: no STARTTLS, and so never AUTH
        try:
            async with asyncio.timeout(max(remaining(), 0.01)):
                result = await probe_port(
                    host=other.host if other is not None else tgt.host,
                    addresses=addresses,
                    port=port,
                    connect_port=port_map.get(port),
                    implicit=implicit,
                    contexts=contexts,
                    timeouts=steps,
                    ehlo_name=ehlo_name,
                    # never to an MX: credentials belong to the submission host (the target, or the one documented)
                    credentials=None if plaintext or (other is not None and other.role != "submission")
                    else credentials,
                    acc=acc,
                )
        except TimeoutError:
            result = budget_cut(acc)
        acc.dialogue.end(result.status, result.error)
        if other is not None:
            result = dataclasses.replace(result, host=other.host, role=other.role)
        return result

    async def other_hosts(
        others: Sequence[_OtherHost], contexts: Contexts
    ) -> list[PortResult]:
        """A bare mail domain's MX hosts on 25 and the provider's submission host: resolved at once, each address
        SSRF-checked (a refused host is a result, not a probe), then probed beside each other."""
        assert res is not None
        names = tuple(dict.fromkeys(o.host for o in others))
        answers = await asyncio.gather(
            *(lookup_host(n, resolver=res, lifetime=min(4.0, remaining()), with_mx=False) for n in names)
        )
        resolved = dict(zip(names, answers, strict=True))
        jobs: list[Awaitable[PortResult]] = []
        for o in others:
            facts, found = resolved[o.host]
            refusal = next((r for a in found if (r := address_refusal(a, allow_networks=allow_networks))), None)
            if not found or refusal:
                why = (f"{o.host} does not resolve ({facts.status})" if not found
                       else f"not probed: {o.host} is or resolves to a non-public address")
                jobs.append(_resolved(PortResult(
                    port=o.port, status="error", stage="connect", error=why, host=o.host, role=o.role,
                    expected_tls="implicit" if o.implicit else "starttls")))
            else:
                jobs.append(one_port(o.port, found, contexts, o))
        return list(await asyncio.gather(*jobs))

    async def sender() -> dict[str, Any]:
        if not sender_domain or res is None:
            return {}
        try:
            async with asyncio.timeout(max(min(4.0, remaining()), 0.01)):
                return await lookup_sender(sender_domain, resolver=res, lifetime=min(4.0, remaining()))
        except TimeoutError:
            return {
                "sender_domain": sender_domain,
                "spf_verdict": "could not read SPF (timeout)",
                "dmarc_verdict": "could not read DMARC (timeout)",
            }

    async def feed() -> StatusFeed | None:
        if provider is None or providers is None:
            return None
        return await fetch_status(
            provider, providers.providers[provider].data, timeout_s=max(min(3.0, remaining()), 0.01),
            url=status_feed_url, host=tgt.host,
            resolver=feed_resolver(res) if res is not None and (nameservers or resolver is not None) else None,
        )

    # SPF/DMARC and the status feed need nothing from the host's DNS or ports: they start first and run beside them.
    side = asyncio.gather(timed("sender_dns", sender), timed("status_feed", feed))
    late_feed: asyncio.Future[StatusFeed | None] | None = None
    # the TLS contexts (a trust store read, the first time in a process) are built beside DNS, off the event loop
    contexts_ready = asyncio.ensure_future(asyncio.to_thread(client_contexts, ca_file=ca_file))
    try:
        addresses: tuple[IPAddress, ...]
        if tgt.ip is not None:
            dns_facts, addresses = DnsFacts(status="literal", addresses=(str(tgt.ip),)), (tgt.ip,)
        else:
            assert res is not None
            dns_facts, addresses = await timed(
                "dns", lambda: lookup_host(tgt.host, resolver=res, lifetime=min(4.0, remaining()))
            )
        check_addresses(tgt.host, addresses, allow_networks=allow_networks)
        contexts = await contexts_ready
        others = _mail_domain_hosts(tgt, dns_facts, providers, provider) if not forced else []
        if others:
            # a bare mail domain (MX records, not itself a server): its MX on 25 and the provider's submission
            # host, not the domain's own address (often a web server, where every port would time out)
            if provider is None and (found := next((o.provider for o in others if o.provider), None)):
                provider = found  # known from the MX names only: its status feed starts now, beside the ports
                late_feed = asyncio.ensure_future(timed("status_feed", feed))
            port_results = tuple(await timed("ports", lambda: other_hosts(others, contexts)))
        else:
            port_tasks = [one_port(p, addresses, contexts) for p in wanted] if addresses else []
            port_results = tuple(await timed("ports", lambda: asyncio.gather(*port_tasks)))
    except BaseException:
        contexts_ready.cancel()
        side.cancel()
        if late_feed is not None:
            late_feed.cancel()
        with contextlib.suppress(BaseException):
            await side
        if late_feed is not None:
            with contextlib.suppress(BaseException):
                await late_feed
        raise
    sender_facts, status_feed = await side
    if late_feed is not None:
        status_feed = await late_feed


    if sender_facts:
        dns_facts = dataclasses.replace(dns_facts, **sender_facts)
    report = ProbeReport(
        target=tgt.display,
        host=tgt.host,
        addresses=tuple(str(a) for a in addresses),
        dns=dns_facts,
        ports=port_results,
        provider=provider,
        status_feed=status_feed,
        duration_ms=round((time.monotonic() - started) * 1000, 1),
        timings={**timings, "total": round((time.monotonic() - started) * 1000, 1)},
    )
    return dataclasses.replace(report, findings=findings_for(report, kb=providers))
