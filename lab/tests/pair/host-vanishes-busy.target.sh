#!/usr/bin/env bash
# Host vanishes with fio running: see lib/host-vanishes.target.sh.
exec bash lab/tests/pair/lib/host-vanishes.target.sh busy
