# Set-up is part of every target: a fresh machine needs nothing but `make run` or `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Debian libraries: Pango for WeasyPrint, harfbuzz-subset for fast font subsetting,
# zbar to decode QR codes in tests, poppler-utils to look at PDFs as PNG, LibreOffice Writer to check
# that the DOCX files print as the PDFs do (about 25 s to install); chromium and an Arabic font to test the
# office app in a real browser (the app serves its own fonts; the system one is the browser's fallback).
DEB_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libzbar0 poppler-utils \
	libreoffice-writer-nogui libreoffice-calc-nogui chromium fonts-hosny-amiri tzdata

.PHONY: run test lint typecheck pytest bench sysdeps setup templates clean

run: setup
	$(VENV)/bin/wathiqa check
	$(VENV)/bin/wathiqa list
	$(VENV)/bin/wathiqa build
	$(VENV)/bin/wathiqa serve --host 127.0.0.1 --port 8000

test: setup lint typecheck pytest

setup: sysdeps $(STAMP)

sysdeps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

lint: setup
	$(VENV)/bin/ruff check generator tests bench

typecheck: setup
	$(VENV)/bin/mypy

pytest: setup
	$(VENV)/bin/pytest

# Regenerate the DOCX templates from the policy; this overwrites what staff changed in Word.
templates: setup
	$(PY) -m generator.render.docx_templates

bench: setup
	$(PY) -m bench

clean:
	rm -rf output/blank output/registers output/cases output/batches
