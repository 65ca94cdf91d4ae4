#!/usr/bin/env bash
# A Postfix + Dovecot SASL lab on 127.0.0.1, for the probe's integration tests and benchmark.
#
#   postfix-lab.sh start DIR BASE     write config under DIR, start postfix and dovecot, print the port map
#   postfix-lab.sh stop DIR           stop them and leave DIR for inspection
#
# Everything lives in DIR (config_directory, queue_directory, data_directory, dovecot base_dir); nothing
# in /etc is read or changed, no mail is delivered (the lab never gets MAIL FROM anyway). Ports (BASE+n):
#   +25   plain smtpd, no AUTH, no STARTTLS                       (25-like)
#   +587  STARTTLS, AUTH only after TLS (Dovecot SASL)            (587-like)
#   +465  implicit TLS (smtpd_tls_wrappermode), AUTH              (465-like)
#   +466  implicit TLS with a self-signed certificate             (bad certificate)
#   +421  greets "421 4.3.2" and hangs up (client restriction)    (outage)
#   +588  STARTTLS + AUTH like +587, greeting delayed 1 s          (benchmark's slow port)
# Test user: probe@lab.test / lab-Pa55word (Dovecot passwd-file). CA for the good certificate: DIR/certs/ca.pem.
# Needs root (postfix's master runs as root, smtpd drops to the postfix user) and the Debian packages
# postfix, dovecot-core, openssl (scripts/setup-system.sh).
set -euo pipefail

cmd=${1:?usage: postfix-lab.sh start|stop DIR [BASE]}
dir=$(realpath -m "${2:?directory}")
base=${3:-20000}
LAB_USER=probe@lab.test
LAB_PASSWORD=lab-Pa55word

stop() {
  [ -f "$dir/etc/main.cf" ] && postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
  if [ -f "$dir/dovecot/run/master.pid" ]; then
    pid=$(cat "$dir/dovecot/run/master.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$dir/dovecot/run/master.pid"
  fi
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "usage: postfix-lab.sh start|stop DIR [BASE]" >&2; exit 2; }

mkdir -p "$dir"/{etc,queue,data,certs,dovecot/run,log}
stop

# --- certificates: a lab CA and a server certificate for mail.lab.test / 127.0.0.1; a self-signed one
c="$dir/certs"
if [ ! -f "$c/server.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=smtp-help lab CA" \
    -keyout "$c/ca.key" -out "$c/ca.pem" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=mail.lab.test" -keyout "$c/server.key" -out "$c/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:mail.lab.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "$c/server.ext"
  openssl x509 -req -in "$c/server.csr" -CA "$c/ca.pem" -CAkey "$c/ca.key" -CAcreateserial -days 825 \
    -extfile "$c/server.ext" -out "$c/server.pem" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mail.lab.test" \
    -addext "subjectAltName=DNS:mail.lab.test,IP:127.0.0.1" -keyout "$c/self.key" -out "$c/self.pem" 2>/dev/null
  chmod 644 "$c"/*.pem; chmod 600 "$c"/*.key
fi

# --- dovecot: SASL only (no IMAP/POP), one user in a passwd-file, auth socket inside postfix's queue
mkdir -p "$dir/queue/private"
printf '%s:{PLAIN}%s::::::\n' "$LAB_USER" "$LAB_PASSWORD" > "$dir/dovecot/users"
cat > "$dir/dovecot/dovecot.conf" <<CONF
protocols =
base_dir = $dir/dovecot/run
state_dir = $dir/dovecot/run
log_path = $dir/log/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN $dir/dovecot/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener $dir/queue/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
CONF
chown postfix "$dir/data" "$dir/queue/private"
chmod 755 "$dir" "$dir/etc" "$dir/certs"
dovecot -c "$dir/dovecot/dovecot.conf" </dev/null >/dev/null 2>&1

# --- postfix: one instance, one smtpd service per lab port
echo '/./ 421 4.3.2 Service temporarily unavailable (lab)' > "$dir/etc/lab-421.regexp"
cat > "$dir/etc/main.cf" <<CONF
compatibility_level = 3.6
config_directory = $dir/etc
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.lab.test
mydomain = lab.test
myorigin = lab.test
mydestination =
relayhost =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP lab
maillog_file_prefixes = $dir/log
maillog_file = $dir/log/postfix.log
biff = no
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_tls_cert_file = $c/server.pem
smtpd_tls_key_file = $c/server.key
smtpd_tls_security_level = none
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sasl_auth_enable = no
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
anvil_rate_time_unit = 60s
CONF
sub="-o smtpd_tls_security_level=may -o smtpd_sasl_auth_enable=yes -o smtpd_tls_auth_only=yes"
cat > "$dir/etc/master.cf" <<CONF
127.0.0.1:$((base + 25))  inet n - n - - smtpd
127.0.0.1:$((base + 587)) inet n - n - - smtpd $sub
127.0.0.1:$((base + 465)) inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_sasl_auth_enable=yes
127.0.0.1:$((base + 466)) inet n - n - - smtpd -o smtpd_tls_wrappermode=yes -o smtpd_sasl_auth_enable=yes -o smtpd_tls_cert_file=$c/self.pem -o smtpd_tls_key_file=$c/self.key
127.0.0.1:$((base + 421)) inet n - n - - smtpd -o smtpd_delay_reject=no -o smtpd_client_restrictions=check_client_access,regexp:$dir/etc/lab-421.regexp
127.0.0.1:$((base + 588)) inet n - n - - smtpd $sub -o smtpd_delay_reject=no -o smtpd_client_restrictions=sleep,1
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
local     unix - n n - - local
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CONF
script -qec "postfix -c $dir/etc check" /dev/null </dev/null >&2 || true
script -qec "postfix -c $dir/etc start" /dev/null </dev/null >"$dir/log/start.out" 2>&1 || { tail -20 "$dir/log/postfix.log" >&2 || true; exit 1; }
echo "plain=$((base + 25)) starttls=$((base + 587)) implicit=$((base + 465)) selfsigned=$((base + 466))" \
  "greet421=$((base + 421)) slow=$((base + 588)) ca=$c/ca.pem user=$LAB_USER password=$LAB_PASSWORD"
