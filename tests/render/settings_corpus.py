"""Settings-only pastes written for the "settings look right" verdict (issue 12 §2): right and wrong settings for
several providers, in prose, key=value, .env, YAML, JSON and library configuration. Example hosts and placeholder
secrets only; none copied from anywhere. (provider id the paste names, right?, paste)."""

from __future__ import annotations

RIGHT: dict[str, tuple[str, str]] = {
    "office365 prose": ("office365", "Our scanner is set up like this: server smtp.office365.com, port 587, "
                        "encryption STARTTLS, user scans@contoso.example. Nothing arrives, what should I check?"),
    "office365 laravel env": ("office365", "MAIL_MAILER=smtp\nMAIL_HOST=smtp.office365.com\nMAIL_PORT=587\n"
                              "MAIL_ENCRYPTION=tls\nMAIL_USERNAME=noreply@contoso.example\nMAIL_PASSWORD=<password>\n"
                              "MAIL_FROM_ADDRESS=noreply@contoso.example"),
    "office365 phpmailer": ("office365", "$mail = new PHPMailer(true);\n$mail->isSMTP();\n"
                            "$mail->Host       = 'smtp.office365.com';\n$mail->SMTPAuth   = true;\n"
                            "$mail->Username   = 'reports@contoso.example';\n$mail->Password   = '<password>';\n"
                            "$mail->SMTPSecure = PHPMailer::ENCRYPTION_STARTTLS;\n$mail->Port       = 587;"),
    "gmail django": ("gmail", "EMAIL_BACKEND = 'django.core.mail.backends.smtp.EmailBackend'\n"
                     "EMAIL_HOST = 'smtp.gmail.com'\nEMAIL_PORT = 587\nEMAIL_USE_TLS = True\n"
                     "EMAIL_HOST_USER = 'orders@gmail.com'\nEMAIL_HOST_PASSWORD = '<app password>'"),
    "gmail nodemailer 465": ("gmail", "const transporter = nodemailer.createTransport({\n  host: 'smtp.gmail.com',\n"
                             "  port: 465,\n  secure: true,\n  auth: { user: 'billing@gmail.com', "
                             "pass: process.env.GMAIL_APP_PASSWORD },\n});"),
    "gmail key=value": ("gmail", "smtp_server=smtp.gmail.com\nsmtp_port=587\nsmtp_user=alerts.team@gmail.com\n"
                        "smtp_password=xxxx xxxx xxxx xxxx"),
    "sendgrid env": ("sendgrid", "SMTP_HOST=smtp.sendgrid.net\nSMTP_PORT=587\nSMTP_USER=apikey\n"
                     "SMTP_PASS=<api key>"),
    "sendgrid 2525 yaml": ("sendgrid", "smtp:\n  host: smtp.sendgrid.net\n  port: 2525\n  username: apikey\n"
                           "  password: ${SENDGRID_API_KEY}"),
    "mailgun nodemailer": ("mailgun", "nodemailer.createTransport({\n  host: \"smtp.mailgun.org\",\n  port: 587,\n"
                           "  secure: false,\n  auth: { user: \"postmaster@mg.example.com\", "
                           "pass: \"<smtp password>\" }\n})"),
    "ses env": ("ses", "SMTP_SERVER=email-smtp.eu-west-1.amazonaws.com\nSMTP_PORT=587\n"
                "SMTP_USERNAME=AKIAEXAMPLEEXAMPLE12\nSMTP_PASSWORD=<smtp password>"),
    "ses 465 prose": ("ses", "Host email-smtp.us-east-1.amazonaws.com, port 465 (SSL/TLS), "
                      "username AKIAEXAMPLEEXAMPLE34 — the SMTP credentials from the SES console."),
    "zoho env": ("zoho", "MAIL_HOST=smtp.zoho.eu\nMAIL_PORT=465\nMAIL_ENCRYPTION=ssl\n"
                 "MAIL_USERNAME=hello@example.eu\nMAIL_PASSWORD=<password>"),
    "yahoo python": ("yahoo", "SMTP_HOST = \"smtp.mail.yahoo.com\"\nSMTP_PORT = 465\n"
                     "SMTP_USER = \"shopkeeper@yahoo.com\"\n# app password in the vault"),
    "icloud json": ("icloud", "{\n  \"smtp\": {\n    \"host\": \"smtp.mail.me.com\",\n    \"port\": 587,\n"
                    "    \"secure\": false,\n    \"user\": \"family.photos@icloud.com\"\n  }\n}"),
    "fastmail spring": ("fastmail", "spring.mail.host=smtp.fastmail.com\nspring.mail.port=587\n"
                        "spring.mail.username=ops@fastmail.com\nspring.mail.password=<app password>\n"
                        "spring.mail.properties.mail.smtp.auth=true\n"
                        "spring.mail.properties.mail.smtp.starttls.enable=true"),
    "outlook.com prose": ("outlook_com", "I'm using smtp-mail.outlook.com on port 587 with STARTTLS, "
                          "login is my.name@outlook.com."),
    "brevo env": ("brevo", "SMTP_HOST=smtp-relay.brevo.com\nSMTP_PORT=587\nSMTP_LOGIN=8a1b2c001@smtp-brevo.com\n"
                  "SMTP_KEY=<smtp key>"),
    "postmark yaml": ("postmark", "mail:\n  host: smtp.postmarkapp.com\n  port: 587\n  user: ${POSTMARK_SERVER_TOKEN}\n"
                      "  password: ${POSTMARK_SERVER_TOKEN}"),
    "sparkpost literal username": ("sparkpost", "SMTP_HOST=smtp.sparkpostmail.com\nSMTP_PORT=587\n"
                                   "SMTP_USER=SMTP_Injection\nSMTP_PASSWORD=<api key>"),
    "gmx env": ("gmx", "SMTP_HOST=mail.gmx.net\nSMTP_PORT=587\nSMTP_USER=me@gmx.de"),
    "workspace relay": ("google_workspace", "SMTP_HOST=smtp-relay.gmail.com\nSMTP_PORT=587\n"
                        "SMTP_USER=alerts@example.org"),
    "smtp2go 2525": ("smtp2go", "MAIL_HOST=mail.smtp2go.com\nMAIL_PORT=2525\nMAIL_USERNAME=webshop-prod"),
    "ionos laravel": ("ionos", "MAIL_HOST=smtp.ionos.de\nMAIL_PORT=587\nMAIL_USERNAME=info@example.de\n"
                      "MAIL_ENCRYPTION=tls"),
    "aol prose": ("aol", "smtp server smtp.aol.com port 465 ssl, user grandma@aol.com"),
    "qq laravel": ("qq", "MAIL_HOST=smtp.qq.com\nMAIL_PORT=465\nMAIL_ENCRYPTION=ssl\nMAIL_USERNAME=12345678@qq.com"),
    "163 spring": ("netease", "spring.mail.host=smtp.163.com\nspring.mail.port=465\nspring.mail.username=shop@163.com"),
    "hetzner django": ("hetzner", "EMAIL_HOST = 'mail.your-server.de'\nEMAIL_PORT = 587\nEMAIL_USE_TLS = True\n"
                       "EMAIL_HOST_USER = 'info@example.de'"),
    "godaddy phpmailer": ("godaddy", "$mail->Host = 'smtpout.secureserver.net';\n$mail->Port = 465;\n"
                          "$mail->SMTPSecure = 'ssl';\n$mail->Username = 'info@example.com';"),
    "ses 2587": ("ses", "SMTP_HOST=email-smtp.ap-southeast-2.amazonaws.com\nSMTP_PORT=2587\n"
                 "SMTP_USER=AKIAEXAMPLEEXAMPLE56"),
    "office365 direct send": ("office365", "SMTP server: contoso-example.mail.protection.outlook.com\nPort: 25\n"
                              "TLS: STARTTLS\nno authentication"),
}

WRONG: dict[str, tuple[str, str]] = {
    "gmail 465 starttls (laravel)": ("gmail", "MAIL_HOST=smtp.gmail.com\nMAIL_PORT=465\nMAIL_ENCRYPTION=tls\n"
                                     "MAIL_USERNAME=shop@gmail.com"),
    "office365 on 465": ("office365", "host: smtp.office365.com\nport: 465\nsecure: ssl\n"
                         "user: scans@contoso.example"),
    "sendgrid with an address": ("sendgrid", "SMTP_HOST=smtp.sendgrid.net\nSMTP_PORT=587\n"
                                 "SMTP_USER=me@example.com\nSMTP_PASS=<api key>"),
    "gmail local part": ("gmail", "EMAIL_HOST = 'smtp.gmail.com'\nEMAIL_PORT = 587\nEMAIL_USE_TLS = True\n"
                         "EMAIL_HOST_USER = 'orders'"),
    "office365 nodemailer secure on 587": ("office365", "nodemailer.createTransport({ host: 'smtp.office365.com', "
                                           "port: 587, secure: true, auth: { user: 'it@contoso.example', "
                                           "pass: '<password>' } })"),
    "outlook.com on 465": ("outlook_com", "smtp-mail.outlook.com port 465 SSL, user me@outlook.com"),
    "icloud on 465": ("icloud", "MAIL_HOST=smtp.mail.me.com\nMAIL_PORT=465\nMAIL_USERNAME=me@icloud.com"),
    "yahoo on 25": ("yahoo", "SMTP_HOST=smtp.mail.yahoo.com\nSMTP_PORT=25\nSMTP_USER=me@yahoo.com"),
    "sparkpost own login": ("sparkpost", "SMTP_HOST=smtp.sparkpostmail.com\nSMTP_PORT=587\nSMTP_USER=myshop"),
    "gmail phpmailer smtps on 587": ("gmail", "$mail->isSMTP();\n$mail->Host = 'smtp.gmail.com';\n"
                                     "$mail->SMTPAuth = true;\n$mail->Username = 'shop@gmail.com';\n"
                                     "$mail->Password = '<app password>';\n"
                                     "$mail->SMTPSecure = PHPMailer::ENCRYPTION_SMTPS;\n$mail->Port = 587;"),
    "sendgrid prose with the login e-mail": ("sendgrid", "Settings: smtp.sendgrid.net port 587, username "
                                             "marketing@example.com, password is the API key."),
}
