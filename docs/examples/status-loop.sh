#!/bin/sh
# Pause the bot while bitbank is in maintenance, down or unreachable; resume it after.
# `my-bot pause` and `my-bot resume` stand for your bot's own commands.
paused=no
while :; do
  bbwatch status >/dev/null
  case $? in
    0 | 10) # normal, or a pair you watch is busy or halted
      if [ "$paused" = yes ]; then my-bot resume && paused=no; fi ;;
    11 | 12 | 13) # maintenance, down, unreachable
      if [ "$paused" = no ]; then my-bot pause && paused=yes; fi ;;
    *) ;; # 1 or 2: bbwatch could not check (it said why on stderr); change nothing
  esac
  sleep "${CHECK_EVERY:-30}"
done
