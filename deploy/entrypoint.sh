#!/bin/sh
# The container's entrypoint: an empty metrics directory for this container's processes
# (files of a previous run would count), then the tradebot sub-command asked for.
set -eu
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  rm -rf "${PROMETHEUS_MULTIPROC_DIR:?}"
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
fi
exec tradebot "$@"
