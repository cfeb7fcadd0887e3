#!/usr/bin/env python3
"""Pause a bot during bitbank maintenance, following bbwatch's local API (Server-Sent Events).

Only the standard library. BBWATCH_URL (default http://127.0.0.1:8765) is where `bbwatch serve`
(or the tray app with the local API on) listens; BBWATCH_TOKEN is its token, when it has one.
After a broken connection it reconnects with Last-Event-ID and gets the events it missed.
"""
import json
import os
import subprocess
import time
import urllib.request

URL = os.environ.get("BBWATCH_URL", "http://127.0.0.1:8765") + "/v1/events"
TOKEN = os.environ.get("BBWATCH_TOKEN")
PAUSE_ON = {"maintenance_started", "down_started", "unreachable_started"}
RESUME_ON = {"maintenance_ended", "down_ended", "unreachable_ended"}


def events(last_id):
    """Yield (id, event) from the stream, from the event after last_id on."""
    request = urllib.request.Request(URL, headers={"Accept": "text/event-stream"})
    if last_id is not None:
        request.add_header("Last-Event-ID", last_id)
    if TOKEN:
        request.add_header("Authorization", "Bearer " + TOKEN)
    with urllib.request.urlopen(request, timeout=60) as stream:
        event_id, data = None, []
        for raw in stream:
            line = raw.decode("utf-8").rstrip("\r\n")
            if line.startswith(":"):
                continue  # a heartbeat
            if line.startswith("id:"):
                event_id = line[3:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and data:
                yield event_id, json.loads("\n".join(data))
                data = []


def main():
    last_id = None
    while True:
        try:
            for last_id, event in events(last_id):
                if event["kind"] in PAUSE_ON:
                    subprocess.run(["my-bot", "pause"], check=True)
                elif event["kind"] in RESUME_ON:
                    subprocess.run(["my-bot", "resume"], check=True)
        except OSError as e:  # bbwatch restarting, or the network: try again
            print(f"bbwatch: {e}; reconnecting", flush=True)
        time.sleep(1)


if __name__ == "__main__":
    main()
