# The two commands of the README: `make demo` and `make test`. Each installs what it needs first.
BUILD ?= build
BUILD_TYPE ?= Release
PYTHON := /usr/bin/python3
CMAKE_FLAGS ?=

.PHONY: all bootstrap configure build demo test bench sample clean

all: build

bootstrap:
	@scripts/bootstrap

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DPython3_EXECUTABLE=$(PYTHON) $(CMAKE_FLAGS)

configure: bootstrap $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD)

demo: build
	$(BUILD)/custhealth report

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j 2

bench: build
	$(PYTHON) benchmarks/compare.py --build $(BUILD)

# The bundled sample portfolio (tests check it is exactly this command's output).
sample: build
	$(BUILD)/custhealth generate --accounts 200 --days 730 --seed 7 --out examples/data

clean:
	rm -rf $(BUILD)
