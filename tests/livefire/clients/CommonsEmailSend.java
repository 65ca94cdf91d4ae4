// Send one message with Apache Commons Email 1.5 over JavaMail 1.6 (Debian's libcommons-email-java).
// Output: the uncaught EmailException as the JVM prints it, as users paste it.
import org.apache.commons.mail.DefaultAuthenticator;
import org.apache.commons.mail.Email;
import org.apache.commons.mail.EmailException;
import org.apache.commons.mail.SimpleEmail;

public class CommonsEmailSend {
    public static void main(String[] args) throws EmailException {
        String host = args[0], port = args[1], mode = args[2], user = args[3], pass = args[4], from = args[5], to = args[6];
        Email email = new SimpleEmail();
        email.setHostName(host);
        if (mode.equals("tls")) {
            email.setSSLOnConnect(true);
            email.setSslSmtpPort(port);
        } else {
            email.setSmtpPort(Integer.parseInt(port));
            email.setStartTLSEnabled(mode.equals("starttls"));
            email.setStartTLSRequired(mode.equals("starttls"));
        }
        if (!user.equals("-")) {
            email.setAuthenticator(new DefaultAuthenticator(user, pass));
        }
        email.setSocketConnectionTimeout(5000);
        email.setSocketTimeout(5000);
        email.setFrom(from);
        email.setSubject("Test message");
        email.setMsg("Hello from Commons Email.");
        email.addTo(to);
        email.send();
        System.out.println("Sent message successfully");
    }
}
