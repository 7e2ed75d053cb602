#!/usr/bin/env bash
# Host vanishes while idle (keep-alive expiry only): see lib/host-vanishes.target.sh.
exec bash lab/tests/pair/lib/host-vanishes.target.sh idle
