package release_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/release"
)

type fakeAssumer struct {
	roles, sessions []string
	err             error
}

func (f *fakeAssumer) AssumeRole(_ context.Context, role, session string) (release.Credentials, error) {
	f.roles, f.sessions = append(f.roles, role), append(f.sessions, session)
	if f.err != nil {
		return release.Credentials{}, f.err
	}
	return release.Credentials{AccessKeyID: "ASIAREADONLY", SecretAccessKey: "secret", SessionToken: "token", Expires: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}, nil
}

// The read-only role plans and the deployment role applies the same saved plan: the role reaches terraform
// as credentials in its environment, never in the backend file or a variable (both are kept in the plan).
func TestUseRoleGivesTerraformTheBuildsRole(t *testing.T) {
	t.Parallel()
	const readOnly = "arn:aws:iam::123456789012:role/webhealth-reader"
	fx := newFixture(t, release.Config{AssumeRoleARN: readOnly})
	tg, err := fx.flow.Prepare("prod_eu-west-1/web/1.4.0")
	require.NoError(t, err)
	assumer := &fakeAssumer{}
	require.NoError(t, fx.flow.UseRole(context.Background(), tg, assumer))
	require.NoError(t, fx.flow.Plan(context.Background(), tg))

	assert.Equal(t, []string{readOnly}, assumer.roles)
	assert.Equal(t, []string{"webhealth-prod"}, assumer.sessions)
	for _, sub := range []string{"init", "plan", "show"} {
		env := fx.tools.last(sub).Env
		for _, kv := range []string{"AWS_ACCESS_KEY_ID=ASIAREADONLY", "AWS_SECRET_ACCESS_KEY=secret", "AWS_SESSION_TOKEN=token", "AWS_PROFILE="} {
			assert.Contains(t, env, kv, "terraform %s runs with the role's credentials", sub)
		}
	}
	require.Len(t, fx.tools.backends, 1)
	assert.NotContains(t, fx.tools.backends[0], "assume_role", "the backend file (kept in the saved plan) names no role")
	assert.NotContains(t, strings.Join(fx.tools.last("plan").Args, " "), "assume_role_arn", "no variable (kept in the saved plan) names the role")
	assert.Contains(t, fx.stderr.String(), "runs as "+readOnly+" until 2026-12-02T10:00:00Z")
}

func TestUseRole(t *testing.T) {
	t.Parallel()
	t.Run("no role: nothing assumed, the environment unchanged", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t, release.Config{})
		tg, err := fx.flow.Prepare("dev_eu-west-1/web/1.4.0")
		require.NoError(t, err)
		assumer := &fakeAssumer{}
		require.NoError(t, fx.flow.UseRole(context.Background(), tg, assumer))
		assert.Empty(t, assumer.roles)
		assert.Equal(t, []string{"PATH=/bin"}, fx.flow.Env)
	})
	t.Run("STS refuses: the error names the role, nothing runs", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t, release.Config{AssumeRoleARN: "arn:aws:iam::123456789012:role/webhealth-deployer"})
		tg, err := fx.flow.Prepare("prod_eu-west-1/web/1.4.0")
		require.NoError(t, err)
		err = fx.flow.UseRole(context.Background(), tg, &fakeAssumer{err: errors.New("AccessDenied")})
		require.ErrorContains(t, err, "assume arn:aws:iam::123456789012:role/webhealth-deployer (ASSUME_ROLE_ARN) as webhealth-prod: AccessDenied")
		assert.Empty(t, fx.tools.commands())
	})
	t.Run("a role without an STS client", func(t *testing.T) {
		t.Parallel()
		fx := newFixture(t, release.Config{AssumeRoleARN: "arn:aws:iam::123456789012:role/webhealth-deployer"})
		tg, err := fx.flow.Prepare("prod_eu-west-1/web/1.4.0")
		require.NoError(t, err)
		require.ErrorContains(t, fx.flow.UseRole(context.Background(), tg, nil), "no STS client")
	})
}
