# Thin wrapper over CMake and CTest.
#   make        build everything into build/bin
#   make test   build, then run every test (unit + integration)
#   make check  what CI runs: make test, then make asan, then a brief fuzz pass (FUZZ_SECONDS=5)
#   make demo   build, then run the demo (a local controller deploys the C hello charm)
#   make demo-pods  build, then a local controller runs charms/web as a pod from its test image (root)
#   make bench  build, then print the benchmark figures (lifecycle at 1k and 10k units)
#   make bench-quick  the same with the lifecycle at 1k units only
#   make asan   build with ASan+UBSan (build-asan/) and run every test there
#   make fuzz   build the libFuzzer targets (build-fuzz/) and run each FUZZ_SECONDS (180)
#   make install  build, then install the C charm SDK (header, libraries, .pc files, man page)
#               under PREFIX (/usr/local), staged under $DESTDIR when set
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX ?= /usr/local

.PHONY: all deps build test check demo demo-pods bench asan fuzz install clean

all: build

deps:
	@sh tools/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

check: deps
	@sh tools/check.sh

demo: build
	@sh tools/demo.sh

demo-pods: build
	@sh tools/demo-pods.sh

bench: build
	@sh bench/run.sh

bench-quick: build
	@sh bench/run.sh --quick

asan: deps
	@sh tools/asan.sh

fuzz: deps
	@sh tools/fuzz.sh

install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) build-asan build-fuzz
