package awsconfig

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"

	"github.com/webhealth/webhealth/internal/envconfig"
)

// ecsCredentialsHost serves AWS_CONTAINER_CREDENTIALS_RELATIVE_URI.
const ecsCredentialsHost = "http://169.254.170.2" // #nosec G101 -- the ECS agent's link-local address, not a credential

// containerHosts are the link-local addresses of the ECS and EKS credential agents, the only
// non-loopback hosts a plain-http AWS_CONTAINER_CREDENTIALS_FULL_URI may name (as in the SDK).
var containerHosts = []net.IP{
	net.IPv4(169, 254, 170, 2),
	net.IPv4(169, 254, 170, 23),
	net.ParseIP("fd00:ec2::23"),
}

// containerCredentials returns the cached credentials of the container credentials endpoint, or
// nil when none is configured.
func containerCredentials(r *envconfig.Reader, cfg aws.Config) (aws.CredentialsProvider, error) {
	endpoint := r.String("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
	if rel := r.String("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", ""); rel != "" {
		endpoint = ecsCredentialsHost + rel
	} else if endpoint != "" {
		if err := checkContainerEndpoint(endpoint); err != nil {
			return nil, fmt.Errorf("environment variable AWS_CONTAINER_CREDENTIALS_FULL_URI: %w", err)
		}
	}
	if endpoint == "" {
		return nil, nil
	}
	token := r.String("AWS_CONTAINER_AUTHORIZATION_TOKEN", "")
	tokenFile := r.String("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "")
	p := endpointcreds.New(endpoint, func(o *endpointcreds.Options) {
		o.AuthorizationToken = token
		if tokenFile != "" {
			// The agent rotates the token: read it for every refresh.
			o.AuthorizationTokenProvider = endpointcreds.TokenProviderFunc(func() (string, error) {
				// #nosec G304 -- the file the container platform names in AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return "", fmt.Errorf("read container authorization token: %w", err)
				}
				return strings.TrimSpace(string(b)), nil
			})
		}
		o.Retryer = cfg.Retryer()
	})
	return aws.NewCredentialsCache(p, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = 5 * time.Minute }), nil
}

// checkContainerEndpoint accepts https, or http to a loopback or container-agent address.
func checkContainerEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("%q is not a URL", s)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if strings.EqualFold(host, "localhost") {
			return nil
		}
		ip := net.ParseIP(host)
		if ip != nil && (ip.IsLoopback() || containsIP(containerHosts, ip)) {
			return nil
		}
		return errors.New("plain http is allowed only to a loopback address or the ECS/EKS credential agent")
	default:
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
}

func containsIP(ips []net.IP, ip net.IP) bool {
	for _, c := range ips {
		if c.Equal(ip) {
			return true
		}
	}
	return false
}
