// Send one message with Go's net/smtp (Debian's golang-go). Output: log.Fatal(err), as users paste it.
package main

import (
	"crypto/tls"
	"log"
	"net"
	"net/smtp"
	"os"
	"time"
)

func main() {
	host, port, mode, user, pass, from, to := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5], os.Args[6], os.Args[7]
	addr := net.JoinHostPort(host, port)
	msg := []byte("From: " + from + "\r\nTo: " + to + "\r\nSubject: Test message\r\n\r\nHello from net/smtp.\r\n")
	tlsConfig := &tls.Config{ServerName: host}

	dialer := &net.Dialer{Timeout: 5 * time.Second}
	var conn net.Conn
	var err error
	if mode == "tls" {
		conn, err = tls.DialWithDialer(dialer, "tcp", addr, tlsConfig)
	} else {
		conn, err = dialer.Dial("tcp", addr)
	}
	if err != nil {
		log.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		log.Fatal(err)
	}
	if mode == "starttls" {
		if err := c.StartTLS(tlsConfig); err != nil {
			log.Fatal(err)
		}
	}
	if user != "-" {
		if err := c.Auth(smtp.PlainAuth("", user, pass, host)); err != nil {
			log.Fatal(err)
		}
	}
	if err := c.Mail(from); err != nil {
		log.Fatal(err)
	}
	if err := c.Rcpt(to); err != nil {
		log.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := w.Write(msg); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		log.Fatal(err)
	}
}
