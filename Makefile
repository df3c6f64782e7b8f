# Thin wrapper over CMake and CTest.
#   make        build everything into build/bin
#   make test   build, then run every test (unit + integration)
#   make demo   build, then run the demo (a local controller deploys charms/hello)
#   make bench  build, then print the benchmark figures
BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all deps build test demo bench clean

all: build

deps:
	@sh tools/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	@sh tools/demo.sh

bench: build
	@sh bench/run.sh

clean:
	rm -rf $(BUILD)
