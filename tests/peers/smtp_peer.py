#!/usr/bin/env python3
"""A real SMTP server for bbwatch's tests (aiosmtpd): STARTTLS required, or TLS from the
first byte, on a certificate made for the test; one user may log in (the password from the
environment, never a flag); every message accepted is appended to a JSON-lines record.
Prints "ready" once it listens on 127.0.0.1."""

import argparse
import json
import os
import ssl
import sys
import time
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# aiosmtpd 1.4 warns of its own Session.login_data as it logs a user in.
warnings.filterwarnings("ignore", category=DeprecationWarning)


class Recorder:
    def __init__(self, record):
        self.record = record

    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        entry = {
            "from": envelope.mail_from,
            "to": list(envelope.rcpt_tos),
            "data": envelope.content.decode("utf-8", "replace"),
            "login": login,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
        }
        with open(self.record, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
        return "250 OK"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", choices=["starttls", "tls"], required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--record", required=True)
    p.add_argument("--user", required=True)
    a = p.parse_args()
    password = os.environ["SMTP_PEER_PASSWORD"]

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == a.user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, auth_data=auth_data)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(a.cert, a.key)
    common = dict(
        hostname="127.0.0.1",
        port=a.port,
        authenticator=authenticator,
        auth_required=True,
        # aiosmtpd counts only STARTTLS as TLS here; a wrapped connection is TLS throughout.
        auth_require_tls=a.mode == "starttls",
    )
    if a.mode == "starttls":
        controller = Controller(Recorder(a.record), tls_context=context, require_starttls=True, **common)
    else:
        controller = Controller(Recorder(a.record), ssl_context=context, **common)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    sys.exit(main())
