// Send one message with nodemailer, as its README shows. Output: console.error(err), as users paste it.
const nodemailer = require("nodemailer");
const [host, port, mode, user, pass, from, to] = process.argv.slice(2);

const transporter = nodemailer.createTransport({
  host,
  port: Number(port),
  secure: mode === "tls",
  requireTLS: mode === "starttls",
  ignoreTLS: mode === "none",
  auth: user === "-" ? undefined : { user, pass },
  connectionTimeout: 5000,
  greetingTimeout: 5000,
  socketTimeout: 5000,
});

transporter
  .sendMail({ from, to, subject: "Test message", text: "Hello from nodemailer." })
  .then((info) => console.log("Message sent: %s", info.messageId))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
