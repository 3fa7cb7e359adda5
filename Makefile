# Convenience wrappers; the scripts are the real commands.
.PHONY: all build demo test clean
all: build
build:
	./scripts/build.sh
demo:
	./scripts/demo.sh
test:
	./scripts/test.sh
clean:
	rm -rf build build-*
