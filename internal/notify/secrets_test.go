package notify_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/notify"
)

// fakeSSM answers GetParameter from a table and records the inputs.
type fakeSSM struct {
	mu     sync.Mutex
	values map[string]string
	err    error
	calls  []*ssm.GetParameterInput
}

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	if f.err != nil {
		return nil, f.err
	}
	v, ok := f.values[aws.ToString(in.Name)]
	if !ok {
		return nil, &ssmtypes.ParameterNotFound{Message: aws.String("not found")}
	}
	return &ssm.GetParameterOutput{Parameter: &ssmtypes.Parameter{Name: in.Name, Value: aws.String(v), Type: ssmtypes.ParameterTypeSecureString}}, nil
}

// fakeSecretsManager answers GetSecretValue from a table (nil: a binary secret).
type fakeSecretsManager struct {
	mu     sync.Mutex
	values map[string]*string
	calls  []*secretsmanager.GetSecretValueInput
}

func (f *fakeSecretsManager) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	v, ok := f.values[aws.ToString(in.SecretId)]
	if !ok {
		return nil, errors.New("ResourceNotFoundException")
	}
	if v == nil {
		return &secretsmanager.GetSecretValueOutput{SecretBinary: []byte{1, 2}}, nil
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: v}, nil
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	const hook = "https://hooks.slack.com/services/T000/B000/secret-token-XYZ"
	slack := notify.Channel{Name: "ops-slack", Format: "slack", SSMParameter: "/webhealth/prod/ops-slack"}
	pd := notify.Channel{Name: "pd", Format: "pagerduty", SecretID: "webhealth/prod/pd"}

	t.Run("reads each source, decrypted, and keeps it for the TTL", func(t *testing.T) {
		t.Parallel()
		params := &fakeSSM{values: map[string]string{"/webhealth/prod/ops-slack": " " + hook + "\n"}}
		secrets := &fakeSecretsManager{values: map[string]*string{"webhealth/prod/pd": aws.String("R0UT1NGKEY")}}
		s := notify.NewSecrets(params, secrets, time.Minute)
		now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
		notify.SetSecretsClock(s, func() time.Time { return now })
		ctx := context.Background()

		for range 3 {
			v, err := s.Value(ctx, slack)
			require.NoError(t, err)
			assert.Equal(t, hook, v, "trimmed")
			v, err = s.Value(ctx, pd)
			require.NoError(t, err)
			assert.Equal(t, "R0UT1NGKEY", v)
		}
		require.Len(t, params.calls, 1, "cached")
		assert.True(t, aws.ToBool(params.calls[0].WithDecryption), "SecureString decrypted")
		assert.Len(t, secrets.calls, 1)

		params.values["/webhealth/prod/ops-slack"] = hook + "-rotated"
		now = now.Add(59 * time.Second)
		v, _ := s.Value(ctx, slack)
		assert.Equal(t, hook, v, "within the TTL")
		now = now.Add(time.Second)
		v, _ = s.Value(ctx, slack)
		assert.Equal(t, hook+"-rotated", v, "a rotated secret is picked up after the TTL")
		assert.Len(t, params.calls, 2)
	})

	t.Run("failures name the channel and the source, never a value", func(t *testing.T) {
		t.Parallel()
		params := &fakeSSM{values: map[string]string{"/webhealth/prod/ops-slack": "   "}}
		secrets := &fakeSecretsManager{values: map[string]*string{"webhealth/prod/pd": nil}}
		s := notify.NewSecrets(params, secrets, 0)
		ctx := context.Background()

		_, err := s.Value(ctx, slack)
		require.Error(t, err)
		assert.Equal(t, "read the secret of channel ops-slack (SSM parameter /webhealth/prod/ops-slack): it is empty", err.Error())
		_, err = s.Value(ctx, pd)
		assert.ErrorContains(t, err, "channel pd (secret webhealth/prod/pd): the secret has no string value")
		_, err = s.Value(ctx, notify.Channel{Name: "gone", SSMParameter: "/webhealth/prod/gone"})
		var nf *ssmtypes.ParameterNotFound
		assert.ErrorAs(t, err, &nf, "the SDK's error is kept")
		assert.Len(t, params.calls, 2, "failures are not cached")

		params.err = errors.New("AccessDeniedException")
		params.values["/webhealth/prod/ops-slack"] = hook
		_, err = s.Value(ctx, slack)
		assert.ErrorContains(t, err, "AccessDeniedException")
		assert.NotContains(t, err.Error(), "secret-token")
	})
}
