module github.com/ipslad/ipslad

go 1.26.8

require (
	github.com/miekg/dns v1.1.73
	github.com/vishvananda/netlink v1.3.1
	github.com/vishvananda/netns v0.0.5
	golang.org/x/sys v0.47.0
	gopkg.in/yaml.v3 v3.0.1
)

require golang.org/x/net v0.57.0 // indirect
