package notify_test

import (
	"context"
	"net"
)

// fixedResolver answers host names from a table, like a DNS server under an attacker's control.
type fixedResolver map[string]string

func (f fixedResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	ip, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return []net.IPAddr{{IP: net.ParseIP(ip)}}, nil
}
