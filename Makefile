# Build, test and install ipslad. `make install` puts the binaries, the
# systemd unit and (if absent) the example configuration under DESTDIR;
# `make deb` builds the Debian package into dist/ with packaging/build-deb.sh.
GO      ?= go
PREFIX  ?= /usr
SBINDIR ?= $(PREFIX)/sbin
BINDIR  ?= $(PREFIX)/bin
UNITDIR ?= /lib/systemd/system
ETCDIR  ?= /etc/ipslad
VERSION ?= $(shell git describe --tags --always 2>/dev/null || echo devel)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: all build test check install uninstall deb clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o ipslad ./cmd/ipslad
	$(GO) build -ldflags '$(LDFLAGS)' -o ipslactl ./cmd/ipslactl

test:
	$(GO) test -race -count=1 ./...

check:
	.ci/run

install: build
	install -D -m 0755 ipslad $(DESTDIR)$(SBINDIR)/ipslad
	install -D -m 0755 ipslactl $(DESTDIR)$(BINDIR)/ipslactl
	install -D -m 0644 packaging/ipslad.service $(DESTDIR)$(UNITDIR)/ipslad.service
	install -d -m 0755 $(DESTDIR)$(ETCDIR)
	test -e $(DESTDIR)$(ETCDIR)/ipslad.cfg || install -m 0644 packaging/ipslad.cfg $(DESTDIR)$(ETCDIR)/ipslad.cfg
	test -e $(DESTDIR)/etc/default/ipslad || install -D -m 0644 packaging/default $(DESTDIR)/etc/default/ipslad
	@echo "installed; create the user once: addgroup --system ipslad; adduser --system --ingroup ipslad --no-create-home ipslad; then systemctl daemon-reload"

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/ipslad $(DESTDIR)$(BINDIR)/ipslactl $(DESTDIR)$(UNITDIR)/ipslad.service

deb:
	packaging/build-deb.sh dist

clean:
	rm -rf ipslad ipslactl dist
