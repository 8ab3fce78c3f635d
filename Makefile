# The two commands of the quickstart, and the setup both run first.
SHELL := /bin/bash
export PATH := $(CURDIR)/.tools/bin:$(PATH)

.PHONY: setup demo test check bench
setup:
	@scripts/setup.sh

## The 3 AM scenario on the embedded default (dev server + SQLite, the lab, the Slack stand-in).
demo: setup
	@bin/nightshift demo

## The whole test suite: typecheck, lint, jest against real servers.
test: setup
	npm test

check:
	npm run typecheck && npm run lint
