"""An SMTP sink for the TLS tests: STARTTLS with the given certificate, AUTH
required (one user, only after STARTTLS), every accepted message written to a
Maildir. aiosmtpd's command line can do neither TLS nor AUTH, hence this.

usage: smtp_sink.py PORT MAILDIR CERT KEY USER PASSWORD [implicit]

With "implicit", the connection is TLS from the first byte (smtps, port 465
style) instead of STARTTLS.
"""

import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    port, maildir, cert, key, user, password = sys.argv[1:7]
    implicit = sys.argv[7:8] == ["implicit"]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        # handled=False: aiosmtpd answers 235 or 535 itself.
        return AuthResult(success=ok, handled=False)

    if implicit:
        # The whole session is TLS; AUTH needs nothing more.
        tls = dict(ssl_context=context, auth_require_tls=False)
    else:
        tls = dict(tls_context=context, require_starttls=True, auth_require_tls=True)
    controller = Controller(
        Mailbox(maildir),
        hostname="127.0.0.1",
        port=int(port),
        authenticator=authenticator,
        auth_required=True,
        **tls,
    )
    controller.start()
    # The controller serves from its own thread; the test kills this process.
    threading.Event().wait()


if __name__ == "__main__":
    main()
