# Send one message with Ruby's net-smtp (Debian's ruby). Output: the uncaught exception, as Ruby prints it.
require 'net/smtp'

host, port, mode, user, pass, from, to = ARGV

message = <<~MSG
  From: #{from}
  To: #{to}
  Subject: Test message

  Hello from net-smtp.
MSG

smtp = Net::SMTP.new(host, port.to_i)
smtp.open_timeout = 5
smtp.read_timeout = 5
case mode
when 'tls' then smtp.enable_tls
when 'starttls' then smtp.enable_starttls
else smtp.disable_starttls
end
if user == '-'
  smtp.start('localhost') { |s| s.send_message(message, from, to) }
else
  smtp.start('localhost', user, pass, :plain) { |s| s.send_message(message, from, to) }
end
