#!/usr/bin/env bash
# Host half: see lib/host-vanishes.host.sh.
exec bash lab/tests/pair/lib/host-vanishes.host.sh idle
