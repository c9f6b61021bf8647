package route

import (
	"fmt"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// subscription is one set of netlink link, address and route subscriptions
// in a namespace. Closing done ends them; a subscription error (lost
// notifications) arrives on failed.
type subscription struct {
	links  chan netlink.LinkUpdate
	addrs  chan netlink.AddrUpdate
	routes chan netlink.RouteUpdate
	failed chan error
}

// subscribe opens the three subscriptions in namespace ns (the current one
// when ns is nil). The route socket gets a large receive buffer to
// survive a burst such as a full BGP table changing.
func subscribe(ns *netns.NsHandle, done <-chan struct{}) (*subscription, error) {
	s := &subscription{
		links:  make(chan netlink.LinkUpdate, 64),
		addrs:  make(chan netlink.AddrUpdate, 64),
		routes: make(chan netlink.RouteUpdate, 1024),
		failed: make(chan error, 3),
	}
	onErr := func(err error) {
		select {
		case s.failed <- err:
		default:
		}
	}
	if err := netlink.RouteSubscribeWithOptions(s.routes, done, netlink.RouteSubscribeOptions{
		Namespace: ns, ErrorCallback: onErr, ReceiveBufferSize: 4 << 20,
	}); err != nil {
		return nil, fmt.Errorf("subscribing to route changes: %w", err)
	}
	if err := netlink.LinkSubscribeWithOptions(s.links, done, netlink.LinkSubscribeOptions{
		Namespace: ns, ErrorCallback: onErr,
	}); err != nil {
		return nil, fmt.Errorf("subscribing to link changes: %w", err)
	}
	if err := netlink.AddrSubscribeWithOptions(s.addrs, done, netlink.AddrSubscribeOptions{
		Namespace: ns, ErrorCallback: onErr,
	}); err != nil {
		return nil, fmt.Errorf("subscribing to address changes: %w", err)
	}
	return s, nil
}
