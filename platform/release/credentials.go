package release

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Credentials are temporary AWS credentials of a role.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expires         time.Time
}

// RoleAssumer gets temporary credentials of a role from the caller's own credentials (release/awsdeploy:
// STS AssumeRole).
type RoleAssumer interface {
	AssumeRole(ctx context.Context, roleARN, sessionName string) (Credentials, error)
}

// UseRole gives every command the flow runs from now on (terraform, the smoke test) the credentials of
// ASSUME_ROLE_ARN, as the environment variables AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN (and no AWS_PROFILE); without ASSUME_ROLE_ARN it changes nothing.
//
// The role reaches Terraform through its environment and never through the backend configuration or a
// variable, because a saved plan keeps both: a plan made by the read-only role (the plan, test and drift
// builds of modules/pipeline) must apply under the deployment role of the apply build, the only one allowed
// to assume it. Which role a build gets is the build's ASSUME_ROLE_ARN alone.
func (f *Flow) UseRole(ctx context.Context, t *Target, assumer RoleAssumer) error {
	if f.Config.AssumeRoleARN == "" {
		return nil
	}
	if assumer == nil {
		return errors.New("ASSUME_ROLE_ARN is set but no STS client is configured")
	}
	session := "webhealth-" + t.Environment
	c, err := assumer.AssumeRole(ctx, f.Config.AssumeRoleARN, session)
	if err != nil {
		return fmt.Errorf("assume %s (ASSUME_ROLE_ARN) as %s: %w", f.Config.AssumeRoleARN, session, err)
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" {
		return fmt.Errorf("assume %s (ASSUME_ROLE_ARN): STS returned incomplete credentials", f.Config.AssumeRoleARN)
	}
	f.Env = append(f.Env,
		"AWS_ACCESS_KEY_ID="+c.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+c.SecretAccessKey,
		"AWS_SESSION_TOKEN="+c.SessionToken,
		"AWS_PROFILE=", // a profile would win over the environment's credentials in the SDKs
	)
	if !c.Expires.IsZero() {
		fmt.Fprintf(f.Stderr, "release: %s runs as %s until %s\n", t.Tag, f.Config.AssumeRoleARN, c.Expires.UTC().Format(time.RFC3339))
	}
	return nil
}
