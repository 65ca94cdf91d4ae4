# Send one message with Perl's Net::SMTP (libnet, with IO::Socket::SSL and Authen::SASL from Debian), Debug on:
# the transcript and the die message are what users paste.
use strict;
use warnings;
use Net::SMTP;

my ($host, $port, $mode, $user, $pass, $from, $to) = @ARGV;

my $smtp = Net::SMTP->new($host, Port => $port, Timeout => 5, Debug => 1, SSL => $mode eq 'tls')
    or die "Cannot connect to $host:$port: $@";
if ($mode eq 'starttls') {
    $smtp->starttls() or die "starttls failed: " . $smtp->message;
}
if ($user ne '-') {
    $smtp->auth($user, $pass) or die "auth failed: " . $smtp->message;
}
$smtp->mail($from) or die "mail failed: " . $smtp->message;
$smtp->to($to) or die "rcpt failed: " . $smtp->message;
$smtp->data() or die "data failed: " . $smtp->message;
$smtp->datasend("From: $from\nTo: $to\nSubject: Test message\n\nHello from Net::SMTP.\n");
$smtp->dataend() or die "data failed: " . $smtp->message;
$smtp->quit;
