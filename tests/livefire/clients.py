"""The real mail clients of the live-fire suite: how to install what Debian does not (setup()), and how to run one
against a scenario's server and capture what it prints (run()).

Debian packages (scripts/setup-system.sh): php-cli + libphp-phpmailer + php-symfony-mailer, ruby (net-smtp),
golang-go, the JDK + libjakarta-mail-java + libcommons-email-java, curl, swaks (+ libnet-ssleay-perl), msmtp,
s-nail, mutt, Perl's Net::SMTP (+ IO::Socket::SSL, Authen::SASL), nodejs/npm. Installed here, under .cache/livefire/
(git-ignored): nodemailer (npm), Django (pip --target), the Go and Java programs compiled once.
Every client runs in a private mount namespace whose /etc/resolv.conf names the lab's stub resolver on loopback,
so not even a DNS query leaves the machine.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.livefire.scenarios import FROM, GOOD_PASSWORD, TO, USER, WRONG_PASSWORD, Scenario
from tests.livefire.servers import SERVER_NAME, Endpoint, Lab

__all__ = ["CLIENTS", "Capture", "isolation_missing", "missing_tools", "redact", "run_client", "setup"]

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "clients"
CACHE = REPO / ".cache" / "livefire"
NODEMAILER = "nodemailer@10.6.1"
DJANGO = "django==5.2.*"
JAKARTA_CP = ["/usr/share/java/jakarta-mail.jar", "/usr/share/java/jakarta-activation.jar"]
COMMONS_CP = ["/usr/share/java/commons-email.jar", "/usr/share/java/javax.mail.jar",
              "/usr/share/java/javax.activation.jar"]
RUN_TIMEOUT_S = 40.0
# What a committed capture shows instead of this machine's paths.
PATH_ALIASES = ((str(CACHE), "/home/dev/app/vendor"), (str(REPO), "/home/dev/app"), (sys.prefix, "/home/dev/venv"),
                (sys.base_prefix, "/usr"))


@dataclass
class Capture:
    client: str
    scenario: str
    expected: tuple[str, ...]
    exit_code: int
    seconds: float
    text: str

    @property
    def sent(self) -> bool:
        """The client reports success (nothing to diagnose)."""
        return self.exit_code == 0

    def to_json(self) -> dict[str, object]:
        return {"client": self.client, "scenario": self.scenario, "expected": list(self.expected),
                "exit_code": self.exit_code, "text": self.text}


# --- the clients -----------------------------------------------------------------------------------------------

Argv = Callable[[Endpoint, "RunContext"], tuple[list[str], dict[str, str]]]


@dataclass
class RunContext:
    lab: Lab
    workdir: Path
    message_file: Path
    truststore: Path


def _args(ep: Endpoint) -> list[str]:
    sc = ep.scenario
    user = USER if sc.password else "-"
    return [ep.host, str(ep.port), sc.mode, user, sc.password or "-", FROM, TO]


def _python(script: str, *, django: bool = False) -> Argv:
    def argv(ep: Endpoint, ctx: RunContext) -> tuple[list[str], dict[str, str]]:
        env = {"SSL_CERT_FILE": ctx.lab.ca_file, "PYTHONDONTWRITEBYTECODE": "1"}
        if django:
            env["PYTHONPATH"] = str(CACHE / "python")
        return [sys.executable, str(SCRIPTS / script), *_args(ep)], env
    return argv


def _nodemailer(ep: Endpoint, ctx: RunContext) -> tuple[list[str], dict[str, str]]:
    return (["node", str(SCRIPTS / "nodemailer_send.js"), *_args(ep)],
            {"NODE_PATH": str(CACHE / "node" / "node_modules"), "NODE_EXTRA_CA_CERTS": ctx.lab.ca_file})


def _phpmailer(ep: Endpoint, ctx: RunContext) -> tuple[list[str], dict[str, str]]:
    return ["php", "-d", f"openssl.cafile={ctx.lab.ca_file}", str(SCRIPTS / "phpmailer_send.php"), *_args(ep)], {}


def _symfony(ep: Endpoint, ctx: RunContext) -> tuple[list[str], dict[str, str]]:
    return ["php", "-d", f"openssl.cafile={ctx.lab.ca_file}", "-d", "display_errors=stderr",
            str(SCRIPTS / "symfony_mailer_send.php"), *_args(ep)], {}


def _ruby(ep: Endpoint, ctx: RunContext) -> tuple[list[str], dict[str, str]]:
    return ["ruby", str(SCRIPTS / "net_smtp_send.rb"), *_args(ep)], {"SSL_CERT_FILE": ctx.lab.ca_file}


def _go(ep: Endpoint, ctx: RunContext) -> tuple[list[str], dict[str, str]]:
    return [str(CACHE / "bin" / "go_send"), *_args(ep)], {"SSL_CERT_FILE": ctx.lab.ca_file}


def _java(ep: Endpoint, ctx: RunContext) -> tuple[list[str], dict[str, str]]:
    cp = ":".join([str(CACHE / "java"), *JAKARTA_CP])
    return (["java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", f"-Djavax.net.ssl.trustStore={ctx.truststore}",
             "-Djavax.net.ssl.trustStorePassword=changeit", "-cp", cp, "SendMail", *_args(ep)], {})


def _commons_email(ep: Endpoint, ctx: RunContext) -> tuple[list[str], dict[str, str]]:
    cp = ":".join([str(CACHE / "java-commons"), *COMMONS_CP])
    return (["java", "-Xshare:auto", "-XX:TieredStopAtLevel=1", f"-Djavax.net.ssl.trustStore={ctx.truststore}",
             "-Djavax.net.ssl.trustStorePassword=changeit", "-cp", cp, "CommonsEmailSend", *_args(ep)], {})


def _curl(ep: Endpoint, ctx: RunContext) -> tuple[list[str], dict[str, str]]:
    sc = ep.scenario
    scheme = "smtps" if sc.mode == "tls" else "smtp"
    argv = ["curl", "-sS", "-v", "--connect-timeout", "5", "--max-time", "10", "--cacert", ctx.lab.ca_file,
            "--url", f"{scheme}://{ep.host}:{ep.port}", "--mail-from", FROM, "--mail-rcpt", TO,
            "--upload-file", str(ctx.message_file)]
    if sc.mode == "starttls":
        argv.append("--ssl-reqd")
    if sc.password:
        argv += ["--user", f"{USER}:{sc.password}"]
    return argv, {}


def _swaks(ep: Endpoint, ctx: RunContext) -> tuple[list[str], dict[str, str]]:
    sc = ep.scenario
    argv = ["swaks", "--server", ep.host, "--port", str(ep.port), "--from", FROM, "--to", TO, "--timeout", "5",
            "--tls-verify", "--tls-ca-path", ctx.lab.ca_file, "--h-Subject", "Test message",
            "--body", "Hello from swaks."]
    if sc.mode == "starttls":
        argv.append("--tls")
    elif sc.mode == "tls":
        argv.append("--tls-on-connect")
    if sc.password:
        argv += ["--auth", "--auth-user", USER, "--auth-password", sc.password]
    return argv, {}


def _msmtp(ep: Endpoint, ctx: RunContext) -> tuple[list[str], dict[str, str]]:
    sc = ep.scenario
    argv = ["msmtp", f"--host={ep.host}", f"--port={ep.port}", f"--from={FROM}", "--timeout=5",
            f"--tls={'off' if sc.mode == 'none' else 'on'}",
            f"--tls-starttls={'on' if sc.mode == 'starttls' else 'off'}", f"--tls-trust-file={ctx.lab.ca_file}"]
    if sc.password:
        argv += ["--auth=on", f"--user={USER}", f"--passwordeval=echo {sc.password}"]
    else:
        argv.append("--auth=off")
    return [*argv, TO], {}


def _perl(ep: Endpoint, ctx: RunContext) -> tuple[list[str], dict[str, str]]:
    return ["perl", str(SCRIPTS / "net_smtp_send.pl"), *_args(ep)], {"SSL_CERT_FILE": ctx.lab.ca_file}


def _cert_host(ep: Endpoint) -> str:
    """The certificate's host name for clients that match names but not IP SANs (s-nail, mutt); the private
    /etc/hosts of each run maps it to the scenario's address (see run_client)."""
    if not ep.host[0].isdigit():
        return ep.host
    return "mail.lab.test" if ep.scenario.server.kind == "postfix" else SERVER_NAME


def _mutt(ep: Endpoint, ctx: RunContext) -> tuple[list[str], dict[str, str]]:
    """mutt in batch mode (-s subject recipient < body), settings on the command line as a muttrc would hold them."""
    sc = ep.scenario
    scheme = "smtps" if sc.mode == "tls" else "smtp"
    userinfo = USER.replace("@", "%40") + "@" if sc.password else ""
    settings = [f'smtp_url="{scheme}://{userinfo}{_cert_host(ep)}:{ep.port}/"', f'from="{FROM}"',
                f'ssl_ca_certificates_file="{ctx.lab.ca_file}"', "connect_timeout=5",
                f"ssl_starttls={'yes' if sc.mode == 'starttls' else 'no'}",
                f"ssl_force_tls={'no' if sc.mode == 'none' else 'yes'}"]
    if sc.password:
        settings.append(f'smtp_pass="{sc.password}"')
    return (["mutt", "-n", "-F", "/dev/null", "-e", "set " + " ".join(settings), "-s", "Test message", TO],
            {"TERM": "dumb"})


def _s_nail(ep: Endpoint, ctx: RunContext) -> tuple[list[str], dict[str, str]]:
    """s-nail (mailx) -v, as in a cron job's mail setup: the SMTP conversation and its complaint."""
    sc = ep.scenario
    scheme = "smtps" if sc.mode == "tls" else "smtp"
    host = _cert_host(ep)
    argv = ["s-nail", "-v", "-n", "-#", "-S", f"mta={scheme}://{host}:{ep.port}", "-S", f"from={FROM}",
            "-S", f"DEAD={ctx.workdir / f'dead-{sc.name}.letter'}",
            "-S", f"tls-ca-file={ctx.lab.ca_file}", "-S", "socket-connect-timeout=5", "-s", "Test message"]
    if sc.mode == "starttls":
        argv += ["-S", "smtp-use-starttls"]
    if sc.password:
        argv += ["-S", "smtp-auth=plain", "-S", f"smtp-auth-user={USER}", "-S", f"smtp-auth-password={sc.password}"]
    else:
        argv += ["-S", "smtp-auth=none"]
    return [*argv, TO], {}


CLIENTS: dict[str, Argv] = {
    "smtplib": _python("smtplib_send.py"),
    "django": _python("django_send.py", django=True),
    "aiosmtplib": _python("aiosmtplib_send.py"),
    "nodemailer": _nodemailer,
    "phpmailer": _phpmailer,
    "symfony_mailer": _symfony,
    "curl": _curl,
    "swaks": _swaks,
    "msmtp": _msmtp,
    "ruby_net_smtp": _ruby,
    "go_net_smtp": _go,
    "jakarta_mail": _java,
    "commons_email": _commons_email,
    "perl_net_smtp": _perl,
    "s_nail": _s_nail,
    "mutt": _mutt,
}
TOOLS = {"nodemailer": "node", "phpmailer": "php", "symfony_mailer": "php", "curl": "curl", "swaks": "swaks",
         "msmtp": "msmtp",
         "ruby_net_smtp": "ruby", "go_net_smtp": "go", "jakarta_mail": "java", "commons_email": "java",
         "perl_net_smtp": "perl",
         "s_nail": "s-nail", "mutt": "mutt"}


def missing_tools() -> list[str]:
    """Debian tools a client needs that are not installed (scripts/setup-system.sh installs them)."""
    missing = [t for t in sorted(set(TOOLS.values()) | {"npm", "javac", "keytool"}) if not shutil.which(t)]
    missing += [p for p in (*JAKARTA_CP, *COMMONS_CP, "/usr/share/php/libphp-phpmailer/autoload.php",
                            "/usr/share/php/Symfony/Component/Mailer/autoload.php") if not Path(p).exists()]
    return missing


def isolation_missing() -> str | None:
    """Why clients cannot run with a private resolv.conf here (then the suite must not run), or None."""
    if not shutil.which("unshare"):
        return "unshare(1) not found"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind /dev/null /etc/resolv.conf"],
                           capture_output=True, check=False)
    return None if probe.returncode == 0 else "cannot bind-mount /etc/resolv.conf in a mount namespace (needs root)"


# --- setup ------------------------------------------------------------------------------------------------------

def _stamp() -> str:
    h = hashlib.sha256(f"{NODEMAILER} {DJANGO} {sys.version}".encode())
    for name in ("go_send.go", "SendMail.java", "CommonsEmailSend.java"):
        h.update((SCRIPTS / name).read_bytes())
    return h.hexdigest()[:16]


def setup(log: Callable[[str], None] = print) -> None:
    """Install nodemailer and Django under .cache/livefire and compile the Go and Java programs, once."""
    stamp = CACHE / f".installed-{_stamp()}"
    if stamp.exists():
        return
    t0 = time.monotonic()
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.glob(".installed-*"):
        old.unlink()
    steps: list[list[str]] = [
        ["npm", "install", "--prefix", str(CACHE / "node"), "--no-audit", "--no-fund", "--no-save", "--silent",
         NODEMAILER],
        [sys.executable, "-m", "pip", "install", "-q", "--upgrade", "--target", str(CACHE / "python"), DJANGO],
        ["go", "build", "-o", str(CACHE / "bin" / "go_send"), str(SCRIPTS / "go_send.go")],
        ["javac", "-nowarn", "-cp", ":".join(JAKARTA_CP), "-d", str(CACHE / "java"), str(SCRIPTS / "SendMail.java")],
        ["javac", "-nowarn", "-cp", ":".join(COMMONS_CP), "-d", str(CACHE / "java-commons"),
         str(SCRIPTS / "CommonsEmailSend.java")],
    ]
    env = {**os.environ, "GOCACHE": str(CACHE / "go-build"), "GOPATH": str(CACHE / "gopath"), "GO111MODULE": "off",
           "GOFLAGS": "", "npm_config_cache": str(CACHE / "npm-cache")}
    for argv in steps:
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"live-fire setup failed: {' '.join(argv[:3])} …\n{done.stdout}{done.stderr}")
    stamp.touch()
    log(f"live-fire clients installed under {CACHE} in {time.monotonic() - t0:.1f} s")


# --- running ----------------------------------------------------------------------------------------------------

def _secret_forms() -> list[tuple[str, str]]:
    forms: list[tuple[str, str]] = []
    for pw in (GOOD_PASSWORD, WRONG_PASSWORD):
        for raw in (f"\0{USER}\0{pw}", f"{USER}\0{USER}\0{pw}", pw):
            forms.append((base64.b64encode(raw.encode()).decode(), "<redacted-base64>"))
        forms.append((pw, "<password>"))
    return forms


SECRET_FORMS = _secret_forms()


def redact(text: str, workdir: Path | None = None) -> str:
    """The capture as committed: test passwords (plain and base64) replaced, machine paths made stable."""
    for secret, placeholder in SECRET_FORMS:
        text = text.replace(secret, placeholder)
    if workdir is not None:
        text = text.replace(str(workdir), "/tmp/livefire")
    for path, alias in PATH_ALIASES:
        text = text.replace(path, alias)
    return text


def run_client(name: str, ep: Endpoint, ctx: RunContext) -> Capture:
    """Run one client against one scenario's server; capture stdout+stderr as the user sees them."""
    argv, extra_env = CLIENTS[name](ep, ctx)
    hosts = ctx.workdir / f"hosts-{ep.scenario.name}"
    if not hosts.exists():
        address = ep.host if ep.host[0].isdigit() else "127.0.0.1"
        hosts.write_text(f"127.0.0.1 localhost\n{address} {SERVER_NAME} mail.lab.test\n")
    wrapped = ["unshare", "-m", "sh", "-c",
               'mount --bind "$0" /etc/resolv.conf && mount --bind "$1" /etc/hosts && shift && exec "$@"',
               ctx.lab.resolv_conf, str(hosts), *argv]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(ctx.workdir), "LANG": "C.UTF-8",
           "TZ": "UTC", **extra_env}
    t0 = time.monotonic()
    try:
        with ctx.message_file.open("rb") as stdin:
            done = subprocess.run(wrapped, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                  cwd=ctx.workdir, timeout=RUN_TIMEOUT_S, check=False)
        code, out = done.returncode, done.stdout
    except subprocess.TimeoutExpired as exc:
        code, out = -9, (exc.stdout or b"") + f"\n[killed after {RUN_TIMEOUT_S:.0f} s]".encode()
    text = redact(out.decode("utf-8", "replace"), ctx.workdir)
    return Capture(name, ep.scenario.name, ep.scenario.expected, code, round(time.monotonic() - t0, 2), text)


def make_context(lab: Lab, workdir: Path) -> RunContext:
    """Per-run files: the message for curl/msmtp, a Java trust store holding the lab CA."""
    message = workdir / "message.txt"
    message.write_text(f"From: {FROM}\r\nTo: {TO}\r\nSubject: Test message\r\n\r\nHello from the live-fire lab.\r\n")
    truststore = workdir / "truststore.p12"
    if truststore.exists():
        truststore.unlink()
    pems = Path(lab.ca_file).read_text().split("-----END CERTIFICATE-----")
    for i, pem in enumerate(p for p in pems if p.strip()):  # keytool imports one certificate per call
        one = workdir / f"ca-{i}.pem"
        one.write_text(pem.strip() + "\n-----END CERTIFICATE-----\n")
        subprocess.run(["keytool", "-importcert", "-noprompt", "-alias", f"lab-ca-{i}", "-file", str(one),
                        "-keystore", str(truststore), "-storetype", "PKCS12", "-storepass", "changeit"],
                       capture_output=True, check=True, timeout=60)
    return RunContext(lab=lab, workdir=workdir, message_file=message, truststore=truststore)


def scenario_of(name: str, scenarios: tuple[Scenario, ...]) -> Scenario:
    return next(s for s in scenarios if s.name == name)
