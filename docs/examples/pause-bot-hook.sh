#!/bin/sh
# A hook: bbwatch runs it with the event in its environment (and as JSON on stdin).
#   [[hooks]]
#   on = ["maintenance_started", "maintenance_ended", "down_started", "down_ended"]
#   command = ["/home/me/bin/pause-bot-hook.sh"]
case "$BBWATCH_KIND" in
  maintenance_started | down_started)
    my-bot pause ;;
  maintenance_ended | down_ended)
    echo "bitbank is back after ${BBWATCH_DURATION_SECS}s"
    my-bot resume ;;
esac
