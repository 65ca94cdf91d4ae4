<?php
// Send one message with PHPMailer (Debian's libphp-phpmailer), as its README shows: SMTPDebug = 2 and the
// "Mailer Error" line are what users paste.
use PHPMailer\PHPMailer\PHPMailer;
use PHPMailer\PHPMailer\SMTP;
use PHPMailer\PHPMailer\Exception;

require '/usr/share/php/libphp-phpmailer/autoload.php';

[$script, $host, $port, $mode, $user, $pass, $from, $to] = $argv;

$mail = new PHPMailer(true);
try {
    $mail->SMTPDebug = SMTP::DEBUG_SERVER;
    $mail->isSMTP();
    $mail->Host = $host;
    $mail->Port = (int)$port;
    $mail->Timeout = 5;
    if ($mode === 'tls') {
        $mail->SMTPSecure = PHPMailer::ENCRYPTION_SMTPS;
    } elseif ($mode === 'starttls') {
        $mail->SMTPSecure = PHPMailer::ENCRYPTION_STARTTLS;
    } else {
        $mail->SMTPSecure = '';
        $mail->SMTPAutoTLS = false;
    }
    if ($user !== '-') {
        $mail->SMTPAuth = true;
        $mail->Username = $user;
        $mail->Password = $pass;
    }
    $mail->setFrom($from);
    $mail->addAddress($to);
    $mail->Subject = 'Test message';
    $mail->Body = 'Hello from PHPMailer.';
    $mail->send();
    echo "Message has been sent\n";
} catch (Exception $e) {
    echo "Message could not be sent. Mailer Error: {$mail->ErrorInfo}\n";
    exit(1);
}
