package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// The local environment's one webhook channel (make up NOTIFY_WEBHOOK_URL=<url>): the URL is kept in the
// emulator as an SSM SecureString, as on AWS, and terraform/workload gets only its name through
// `notifications`, so the notifier reads it at run time exactly as it does in AWS.
const (
	WebhookParameter = "/webhealth/local/notify-webhook"
	WebhookChannel   = "local"
	maxWebhookURL    = 2048
)

// webhookChars are the characters a NOTIFY_WEBHOOK_URL may hold: enough for any webhook URL with a path and
// query, none that a shell or make would read (it is written to .local/env, which shells source).
const webhookChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!&=+,%"

// CheckWebhookURL says whether u can be the local webhook: an http or https URL with a host (loopback
// and private hosts included: the local environment allows them), no credentials, at most 2048 bytes of
// URL characters. The value is a secret on AWS: messages never repeat it.
func CheckWebhookURL(u string) error {
	const form = "an http(s) URL with a host, e.g. http://127.0.0.1:4568/notify"
	if len(u) > maxWebhookURL {
		return fmt.Errorf("is %d bytes long, at most %d are allowed (%s)", len(u), maxWebhookURL, form)
	}
	if i := strings.IndexFunc(u, func(r rune) bool { return !strings.ContainsRune(webhookChars, r) }); i >= 0 {
		return fmt.Errorf("has a character at byte %d that is not a letter, digit or one of -._~:/?#[]@!&=+,%% (%s)", i, form)
	}
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return fmt.Errorf("is not a URL (%s)", form)
	case p.Scheme != "http" && p.Scheme != "https":
		return fmt.Errorf("must start with http:// or https:// (%s)", form)
	case p.Hostname() == "":
		return fmt.Errorf("has no host (%s)", form)
	case p.User != nil:
		return fmt.Errorf("holds credentials before the host: put a token in the path or query instead (%s)", form)
	}
	if port := p.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("has port %q: a port number from 1 to 65535 (%s)", port, form)
		}
	}
	return nil
}

// ParameterStore is the part of SSM the stack writes the webhook parameter with.
type ParameterStore interface {
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	DeleteParameter(ctx context.Context, in *ssm.DeleteParameterInput, opts ...func(*ssm.Options)) (*ssm.DeleteParameterOutput, error)
}

// parameters is SSM in one region of the emulator (s.Parameters, when set, stands for every region).
func (s *Stack) parameters(region string) ParameterStore {
	if s.Parameters != nil {
		return s.Parameters
	}
	return ssm.NewFromConfig(aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(s.MotoURL()),
	})
}

// notifications stores (or removes) the webhook parameter in every region of the emulator (each region's
// notifier reads its own region's SSM) and returns the var files of the local releases: with NOTIFY_WEBHOOK_URL one webhook channel of format json reading that parameter, without
// it none (the workload's default: no channel).
func (s *Stack) notifications(ctx context.Context) ([]string, error) {
	file := s.local("tf", "notifications.tfvars.json")
	if s.NotifyWebhookURL == "" {
		if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		for _, region := range s.regions() {
			_, err := s.parameters(region).DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(WebhookParameter)})
			var missing *ssmtypes.ParameterNotFound
			if err != nil && !errors.As(err, &missing) {
				return nil, fmt.Errorf("remove the webhook parameter %s from moto (%s): %w", WebhookParameter, region, err)
			}
		}
		return nil, nil
	}
	for _, region := range s.regions() {
		_, err := s.parameters(region).PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String(WebhookParameter), Type: ssmtypes.ParameterTypeSecureString, Value: aws.String(s.NotifyWebhookURL),
			Overwrite: aws.Bool(true), Description: aws.String("webhealth local stack: NOTIFY_WEBHOOK_URL (make up)"),
		})
		if err != nil {
			// The SDK's error names the operation, never the value.
			return nil, fmt.Errorf("store NOTIFY_WEBHOOK_URL as the SSM parameter %s in moto (%s): %w", WebhookParameter, region, err)
		}
	}
	vars := map[string]any{"notifications": map[string]any{"webhooks": []map[string]string{
		{"name": WebhookChannel, "format": "json", "ssm_parameter": WebhookParameter},
	}}}
	b, err := json.MarshalIndent(vars, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", file, err)
	}
	return []string{file}, nil
}
