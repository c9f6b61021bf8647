package frr

import (
	"context"
	"errors"
	"fmt"
)

// Backend keeps FRR's static routes of ipslad's tag range equal to a
// desired set, through vtysh.
type Backend struct {
	cli  Cli
	tags Tags
}

// NewBackend returns a Backend that talks to FRR through cli and owns the
// statics whose tag is in tags.
func NewBackend(cli Cli, tags Tags) (*Backend, error) {
	if err := tags.Check(); err != nil {
		return nil, err
	}
	return &Backend{cli: cli, tags: tags}, nil
}

// Tags returns the tag range the Backend owns.
func (b *Backend) Tags() Tags { return b.tags }

// List returns the statics in FRR's running configuration that ipslad
// owns (tag in range).
func (b *Backend) List(ctx context.Context) ([]Static, error) {
	owned, _, err := b.read(ctx)
	return owned, err
}

// read returns the statics ipslad owns, and the paths (prefix and
// distance) that hold a static it does not own, with that static's tag:
// ipslad never configures a next hop on such a path, since staticd would
// give the administrator's static ipslad's tag.
func (b *Backend) read(ctx context.Context) ([]Static, map[pathKey]uint32, error) {
	out, err := b.cli(ctx, "-c", "show running-config")
	if err != nil {
		return nil, nil, fmt.Errorf("reading FRR's configuration: %w", err)
	}
	var owned []Static
	foreign := map[pathKey]uint32{}
	for _, s := range ParseStatics(out) {
		if b.tags.Owns(s.Tag) {
			owned = append(owned, s)
		} else {
			foreign[s.path()] = s.Tag
		}
	}
	for _, k := range unparsedPaths(out) {
		if _, ok := foreign[k]; !ok {
			foreign[k] = 0
		}
	}
	return owned, foreign, nil
}

// refuseForeign drops the desired statics on a path that holds a static
// ipslad does not own, with an error each.
func refuseForeign(desired []Static, foreign map[pathKey]uint32) ([]Static, []error) {
	var errs []error
	ok := desired[:0:0]
	for _, s := range desired {
		if t, bad := foreign[s.norm().path()]; bad {
			errs = append(errs, fmt.Errorf("%s: FRR has a static of its own (tag %d) at this prefix and distance; ipslad does not touch it", s, t))
			continue
		}
		ok = append(ok, s)
	}
	return ok, errs
}

// Set makes FRR hold exactly the desired statics among those ipslad owns:
// it reads FRR's running configuration and sends the difference in one
// vtysh run (additions first). Every desired static must carry a tag in
// the Backend's range, and must not share its prefix and distance with a
// static ipslad does not own; one that does is refused. It returns the
// commands it sent.
func (b *Backend) Set(ctx context.Context, desired []Static) ([]string, error) {
	var errs []error
	ok := desired[:0:0]
	for _, s := range desired {
		if !b.tags.Owns(s.Tag) {
			errs = append(errs, fmt.Errorf("%s: tag %d is outside ipslad's FRR tag range %v", s.Prefix, s.Tag, b.tags))
			continue
		}
		ok = append(ok, s)
	}
	cur, foreign, err := b.read(ctx)
	if err != nil {
		return nil, errors.Join(append(errs, err)...)
	}
	ok, ferrs := refuseForeign(ok, foreign)
	errs = append(errs, ferrs...)
	cmds, cerrs := Commands(cur, ok)
	errs = append(errs, cerrs...)
	if err := configure(ctx, b.cli, cmds); err != nil {
		errs = append(errs, fmt.Errorf("programming FRR: %w", err))
	}
	return cmds, errors.Join(errs...)
}

// Flush removes every static ipslad owns from FRR.
func (b *Backend) Flush(ctx context.Context) ([]string, error) {
	return b.Set(ctx, nil)
}
