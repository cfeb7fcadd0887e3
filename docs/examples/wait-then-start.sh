#!/bin/sh
# Start the bot once bitbank is usable again; give up (exit 1) after two hours.
bbwatch wait --until normal --max-wait 2h && exec my-bot start
