#!/usr/bin/env python3
"""A bbwatch hook: freqtrade enters no trade while bitbank is in maintenance or down.

On maintenance_started or down_started it locks every pair ("*") through freqtrade's REST API
(POST /api/v1/locks); on maintenance_ended or down_ended it deletes the locks it made, and only
those. Open trades are left to freqtrade. Only the standard library.

    [[hooks]]
    on = ["maintenance_started", "maintenance_ended", "down_started", "down_ended"]
    command = ["/home/me/bin/freqtrade-lock-hook.py", "--url", "http://127.0.0.1:8080",
               "--auth-file", "/home/me/.config/bbwatch/freqtrade-auth"]

The auth file holds freqtrade's api_server "username:password" on one line (mode 0600), so
that the password shows in no process list.
"""
import argparse
import base64
import datetime
import json
import sys
import urllib.request

# Marks the locks this hook makes: it deletes no other.
REASON = "bbwatch: bitbank"
# A safety net: if the end is never heard (bbwatch stopped), the lock expires by itself.
LOCK_FOR = datetime.timedelta(hours=24)


def api(args, method, path, body=None):
    """Call freqtrade's REST API; its JSON answer."""
    with open(args.auth_file, encoding="utf-8") as f:
        credentials = f.read().strip()
    request = urllib.request.Request(
        args.url.rstrip("/") + "/api/v1" + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode(),
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.load(answer)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="freqtrade's api_server")
    parser.add_argument("--auth-file", required=True, help='a file holding "username:password"')
    args = parser.parse_args()
    event = json.load(sys.stdin)
    kind = event["kind"]
    if kind in ("maintenance_started", "down_started"):
        until = datetime.datetime.now(datetime.timezone.utc) + LOCK_FOR
        lock = {
            "pair": "*",
            "side": "*",
            "until": until.isoformat(),
            "reason": f"{REASON} {event['level']}",
        }
        api(args, "POST", "/locks", [lock])
        print(f"freqtrade: every pair locked ({event['level']})")
    elif kind in ("maintenance_ended", "down_ended"):
        locks = api(args, "GET", "/locks")["locks"]
        ours = [l for l in locks if l["pair"] == "*" and (l.get("reason") or "").startswith(REASON)]
        for lock in ours:
            api(args, "DELETE", f"/locks/{lock['id']}")
        print(f"freqtrade: {len(ours)} lock(s) removed")


if __name__ == "__main__":
    main()
