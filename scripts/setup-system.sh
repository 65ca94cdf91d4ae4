#!/usr/bin/env bash
# Install the Debian packages the integration suites need, once. Idempotent and quiet when all are present.
# The services are not left running: the tests start their own instances on loopback with their own config.
set -euo pipefail
PACKAGES=(postfix dovecot-core postgresql redis-server swaks apache2-utils openssl
  # tests/livefire: real mail clients run against misconfigured servers on loopback (measured on 2 cores: ~3.5 min
  # to install on a fresh Debian 12, golang-go ~1.3 min of it). nodemailer and Django go under .cache/livefire.
  curl msmtp libnet-ssleay-perl php-cli libphp-phpmailer ruby golang-go libjakarta-mail-java util-linux
  s-nail libio-socket-ssl-perl libauthen-sasl-perl php-symfony-mailer
  libcommons-email-java mutt)
# Node and a JDK often come with the machine image (NodeSource's nodejs bundles npm and conflicts with Debian's):
# take Debian's only where the command is missing.
command -v npm >/dev/null || PACKAGES+=(nodejs npm)
command -v javac >/dev/null || PACKAGES+=(default-jdk-headless)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing Debian packages: ${missing[*]}"
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts what it installs where it can; the tests want the ports and data dirs to themselves.
for s in postfix dovecot postgresql redis-server; do $SUDO service "$s" stop >/dev/null 2>&1 || true; done
