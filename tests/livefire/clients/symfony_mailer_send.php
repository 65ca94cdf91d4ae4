<?php
// Send one message with Symfony Mailer (Debian's php-symfony-mailer; Laravel's mailer is built on it), DSN as its
// documentation shows. Output: PHP's uncaught-exception report, as users paste it.
use Symfony\Component\Mailer\Mailer;
use Symfony\Component\Mailer\Transport;
use Symfony\Component\Mime\Email;

require '/usr/share/php/Symfony/Component/Mailer/autoload.php';

[$script, $host, $port, $mode, $user, $pass, $from, $to] = $argv;

$scheme = $mode === 'tls' ? 'smtps' : 'smtp';
$auth = $user === '-' ? '' : rawurlencode($user) . ':' . rawurlencode($pass) . '@';
$transport = Transport::fromDsn("$scheme://$auth$host:$port");
$transport->getStream()->setTimeout(5);
$mailer = new Mailer($transport);

$email = (new Email())
    ->from($from)
    ->to($to)
    ->subject('Test message')
    ->text('Hello from Symfony Mailer.');

$mailer->send($email);
echo "Message sent\n";
