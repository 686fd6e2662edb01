# The two commands of the README: `make demo` and `make test`. Each installs what it needs first
# (scripts/bootstrap: Debian's build packages and the project's virtual environment .venv/).
BUILD ?= build
BUILD_TYPE ?= Release
PYTHON := $(CURDIR)/.venv/bin/python
SYSTEM_PYTHON := /usr/bin/python3
CMAKE_FLAGS ?=

.PHONY: all bootstrap configure build demo test test-system-python fuzz wheel bench sample clean

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

# The C++ tests and the Python tests against .venv/ (current numpy and pandas, and the peers).
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j 2

# The Python tests once more under Debian's interpreter and its numpy 1.24 / pandas 1.5, on the same
# build (one CPython ABI); peers Debian does not package are skipped there.
test-system-python: build
	cd $(CURDIR) && PYTHONPATH=$(BUILD)/python CUSTHEALTH_CLI=$(CURDIR)/$(BUILD)/custhealth \
	  CUSTHEALTH_BUILD_DIR=$(CURDIR)/$(BUILD) $(SYSTEM_PYTHON) -m pytest -q -p no:cacheprovider tests/python

# The loaders' libFuzzer target for FUZZ_SECONDS (clang, ASan + UBSan; tests/fuzz/run).
FUZZ_SECONDS ?= 120
fuzz: bootstrap
	tests/fuzz/run $(FUZZ_SECONDS)

# The wheel a data team installs (`pip install .` builds the same).
wheel: bootstrap
	$(PYTHON) -m pip wheel . -w dist --no-deps

bench: build
	$(PYTHON) benchmarks/compare.py --build $(BUILD)

# The bundled sample portfolio (tests check it is exactly this command's output).
sample: build
	$(BUILD)/custhealth generate --accounts 200 --days 730 --seed 7 --out examples/data

clean:
	rm -rf $(BUILD) build-asan build-fuzz dist
