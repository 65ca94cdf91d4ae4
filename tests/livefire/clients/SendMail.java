// Send one message with Jakarta Mail (Debian's libjakarta-mail-java). Output: e.printStackTrace(), as users paste it.
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.util.Properties;

public class SendMail {
    public static void main(String[] args) {
        String host = args[0], port = args[1], mode = args[2], user = args[3], pass = args[4], from = args[5], to = args[6];
        Properties props = new Properties();
        props.put("mail.smtp.host", host);
        props.put("mail.smtp.port", port);
        props.put("mail.smtp.auth", String.valueOf(!user.equals("-")));
        props.put("mail.smtp.starttls.enable", String.valueOf(mode.equals("starttls")));
        props.put("mail.smtp.starttls.required", String.valueOf(mode.equals("starttls")));
        props.put("mail.smtp.ssl.enable", String.valueOf(mode.equals("tls")));
        props.put("mail.smtp.connectiontimeout", "5000");
        props.put("mail.smtp.timeout", "5000");
        Session session = Session.getInstance(props);
        try {
            Message message = new MimeMessage(session);
            message.setFrom(new InternetAddress(from));
            message.setRecipients(Message.RecipientType.TO, InternetAddress.parse(to));
            message.setSubject("Test message");
            message.setText("Hello from Jakarta Mail.");
            if (user.equals("-")) {
                Transport.send(message);
            } else {
                Transport.send(message, user, pass);
            }
            System.out.println("Sent message successfully");
        } catch (MessagingException e) {
            e.printStackTrace();
            System.exit(1);
        }
    }
}
