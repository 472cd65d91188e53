#!/bin/sh
# Prints the link flags every built-in step and driver declares (.libs = "..."),
# deduplicated: what afc itself must link to hold the whole catalog.
sed -n 's/.*\.libs *= *"\([^"]*\)".*/\1/p' "$@" | tr ' ' '\n' | grep . | sort -u | tr '\n' ' '
