package awsdeploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/webhealth/webhealth/platform/release"
)

// STSAPI is what the assumer asks STS.
type STSAPI interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// sessionSeconds is the session of an assumed role: one hour, the most STS grants a role assumed by a role
// (a CodeBuild build's), and longer than a build's plan or apply.
const sessionSeconds = 3600

// Assumer implements release.RoleAssumer with STS, from the caller's own credentials (the build's role).
type Assumer struct {
	// Client is the STS client (default: from the SDK's default configuration).
	Client STSAPI
}

// AssumeRole returns the credentials of a session of roleARN.
func (a *Assumer) AssumeRole(ctx context.Context, roleARN, sessionName string) (release.Credentials, error) {
	client := a.Client
	if client == nil {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return release.Credentials{}, fmt.Errorf("AWS SDK configuration: %w", err)
		}
		client = sts.NewFromConfig(cfg)
	}
	out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String(sessionName), DurationSeconds: aws.Int32(sessionSeconds),
	})
	if err != nil {
		return release.Credentials{}, err
	}
	if out.Credentials == nil {
		return release.Credentials{}, fmt.Errorf("STS returned no credentials for %s", roleARN)
	}
	c := out.Credentials
	return release.Credentials{
		AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken), Expires: aws.ToTime(c.Expiration),
	}, nil
}
