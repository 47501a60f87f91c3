package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// DefaultSecretTTL is how long a secret read is reused: short enough that a rotated webhook URL is
// picked up within minutes, long enough that a burst of alarms reads it once.
const DefaultSecretTTL = 5 * time.Minute

// ParameterAPI is the SSM call the notifier makes (*ssm.Client implements it).
type ParameterAPI interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// SecretAPI is the Secrets Manager call the notifier makes (*secretsmanager.Client implements it).
type SecretAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Secrets reads channels' secrets (webhook URLs, routing keys) from SSM SecureString parameters
// (decrypted) or Secrets Manager, and keeps each for a TTL. Values are never logged or put in errors.
// Safe for concurrent use.
type Secrets struct {
	params  ParameterAPI
	secrets SecretAPI
	ttl     time.Duration
	now     func() time.Time

	mu    sync.Mutex
	cache map[string]cachedSecret
}

type cachedSecret struct {
	value   string
	expires time.Time
}

// NewSecrets returns a reader over the two services; ttl <= 0 is DefaultSecretTTL.
func NewSecrets(params ParameterAPI, secrets SecretAPI, ttl time.Duration) *Secrets {
	if ttl <= 0 {
		ttl = DefaultSecretTTL
	}
	return &Secrets{params: params, secrets: secrets, ttl: ttl, now: time.Now, cache: map[string]cachedSecret{}}
}

// Value returns the secret of ch, trimmed of surrounding white space; an empty one is an error.
func (s *Secrets) Value(ctx context.Context, ch Channel) (string, error) {
	key := "ssm:" + ch.SSMParameter
	if ch.SSMParameter == "" {
		key = "secretsmanager:" + ch.SecretID
	}
	now := s.now()
	s.mu.Lock()
	c, ok := s.cache[key]
	s.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.value, nil
	}
	v, err := s.read(ctx, ch)
	if err != nil {
		return "", fmt.Errorf("read the secret of channel %s (%s): %w", ch.Name, ch.source(), err)
	}
	if v = strings.TrimSpace(v); v == "" {
		return "", fmt.Errorf("read the secret of channel %s (%s): it is empty", ch.Name, ch.source())
	}
	s.mu.Lock()
	s.cache[key] = cachedSecret{value: v, expires: now.Add(s.ttl)}
	s.mu.Unlock()
	return v, nil
}

func (s *Secrets) read(ctx context.Context, ch Channel) (string, error) {
	if ch.SSMParameter != "" {
		out, err := s.params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(ch.SSMParameter), WithDecryption: aws.Bool(true)})
		if err != nil {
			return "", err
		}
		if out.Parameter == nil {
			return "", errors.New("no parameter in the answer")
		}
		return aws.ToString(out.Parameter.Value), nil
	}
	out, err := s.secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(ch.SecretID)})
	if err != nil {
		return "", err
	}
	if out.SecretString == nil {
		return "", errors.New("the secret has no string value (a binary secret cannot be a webhook URL or routing key)")
	}
	return *out.SecretString, nil
}
