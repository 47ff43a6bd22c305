# Thin wrappers around scripts/ (the scripts are the source of truth).
.PHONY: setup test notebooks notebooks-quick

setup:
	./scripts/setup.sh

test:
	./scripts/test.sh

notebooks:
	./scripts/main.sh

notebooks-quick:
	VAEKIT_QUICK=1 ./scripts/main.sh
