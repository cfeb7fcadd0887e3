#!/usr/bin/env python3
"""bitbank's status for a ccxt bot, from bbwatch: ccxt's bitbank has no fetch_status of its own.

`Bitbank` is ccxt's bitbank whose fetch_status asks bbwatch's local API (GET /v1/ccxt/status),
so the bot checks bitbank as it checks any other exchange. BBWATCH_URL (default
http://127.0.0.1:8765) is where `bbwatch serve` (or the tray app with the local API on)
listens; BBWATCH_TOKEN is its token, when it has one.

Run as a script, it prints the status and exits 0 when it is "ok", 1 otherwise.
"""
import json
import os
import sys
import urllib.request

import ccxt

BBWATCH_URL = os.environ.get("BBWATCH_URL", "http://127.0.0.1:8765")


class Bitbank(ccxt.bitbank):
    """ccxt's bitbank, with fetch_status answered by bbwatch."""

    def describe(self):
        return self.deep_extend(super().describe(), {"has": {"fetchStatus": True}})

    def fetch_status(self, params={}):
        """{"status": "ok" | "maintenance" | "shutdown" | "error", "updated", "eta", "url"}"""
        request = urllib.request.Request(BBWATCH_URL + "/v1/ccxt/status")
        token = os.environ.get("BBWATCH_TOKEN")
        if token:
            request.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.load(answer)
        except OSError as e:  # bbwatch is not running, or refused us
            raise ccxt.ExchangeNotAvailable(f"bbwatch at {BBWATCH_URL}: {e}") from e


def main():
    exchange = Bitbank()
    status = exchange.fetch_status()
    print(json.dumps(status))
    # A bot would skip this round instead: no order while bitbank cannot take one.
    sys.exit(0 if status["status"] == "ok" else 1)


if __name__ == "__main__":
    main()
