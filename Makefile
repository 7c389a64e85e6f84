# anila's commands. `make demo` and `make test` do all set-up on a fresh Debian machine:
# Debian packages (OpenBLAS, Fashion-MNIST), a virtualenv in .venv, and `pip install .`.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
APT_PACKAGES := libopenblas-dev dataset-fashion-mnist
SOURCES := $(shell find anila capi python/anila -name '*.go' -o -name '*.py' -o -name '*.c' 2>/dev/null) setup.py pyproject.toml go.mod go.sum
export GOFLAGS ?= -buildvcs=false
export PATH := $(dir $(GO)):$(PATH)

.PHONY: setup system-deps demo demo-images study test test-go test-python bench clean

## system-deps: install the Debian packages anila builds and tests with (root or sudo)
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: $(SOURCES)
	@command -v $(GO) >/dev/null || { echo "Go >= 1.26 is needed: https://go.dev/dl/"; exit 1; }
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q ".[test]"
	touch $@

## setup: system packages, the virtualenv and anila installed into it
setup: system-deps $(VENV)/.installed

## demo: train AniLA and SGLD on rings; writes demo-out/rings.png and prints metrics
demo: setup
	$(VPY) examples/demo_rings.py --out demo-out

## demo-images: train AniLA and SGLD ConvNets on Fashion-MNIST (MINUTES each, default 4);
## writes demo-out/fashion-samples.png and demo-out/fashion-history.png
MINUTES ?= 4
demo-images: setup
	$(VPY) examples/demo_images.py --out demo-out --minutes $(MINUTES)

## study: AniLA vs SGLD over seeds (toy data, analytic targets, b/η sweep, Fashion-MNIST FID);
## writes study/results.md and its figures (about an hour on 2 cores)
study: setup
	$(VPY) study/run.py

## test: every Go and Python test
test: setup test-go test-python

test-go:
	$(GO) vet ./anila/... ./capi/...
	$(GO) test -tags cblas -count=1 ./anila/...
	$(GO) test -count=1 ./anila/nn/ ./anila/sampler/

test-python:
	cd python/tests && ../../$(VPY) -m pytest -q -p no:cacheprovider .

## bench: anila against the PyTorch reference (bench/results.md), then the Go benchmarks
bench: setup
	cd bench && OPENBLAS_NUM_THREADS=1 ../$(VPY) run.py
	$(GO) test -tags cblas -run '^$$' -bench . -benchmem ./anila/...

clean:
	rm -rf build $(VENV) demo-out python/anila/_capi *.egg-info
