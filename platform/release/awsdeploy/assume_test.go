package awsdeploy_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/release"
	"github.com/webhealth/webhealth/platform/release/awsdeploy"
)

type fakeSTS struct {
	in  *sts.AssumeRoleInput
	out *sts.AssumeRoleOutput
	err error
}

func (f *fakeSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	f.in = in
	return f.out, f.err
}

func TestAssumeRole(t *testing.T) {
	t.Parallel()
	expires := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	s := &fakeSTS{out: &sts.AssumeRoleOutput{Credentials: &ststypes.Credentials{
		AccessKeyId: aws.String("ASIA1"), SecretAccessKey: aws.String("secret"), SessionToken: aws.String("token"), Expiration: aws.Time(expires),
	}}}
	got, err := (&awsdeploy.Assumer{Client: s}).AssumeRole(context.Background(), "arn:aws:iam::123456789012:role/webhealth-reader", "webhealth-prod")
	require.NoError(t, err)
	assert.Equal(t, release.Credentials{AccessKeyID: "ASIA1", SecretAccessKey: "secret", SessionToken: "token", Expires: expires}, got)
	assert.Equal(t, "arn:aws:iam::123456789012:role/webhealth-reader", aws.ToString(s.in.RoleArn))
	assert.Equal(t, "webhealth-prod", aws.ToString(s.in.RoleSessionName))
	assert.Equal(t, int32(3600), aws.ToInt32(s.in.DurationSeconds), "a role chained from the build's role gets at most an hour")

	_, err = (&awsdeploy.Assumer{Client: &fakeSTS{err: errors.New("AccessDenied")}}).AssumeRole(context.Background(), "arn:aws:iam::123456789012:role/x", "s")
	require.ErrorContains(t, err, "AccessDenied")
	_, err = (&awsdeploy.Assumer{Client: &fakeSTS{out: &sts.AssumeRoleOutput{}}}).AssumeRole(context.Background(), "arn:aws:iam::123456789012:role/x", "s")
	require.ErrorContains(t, err, "no credentials")
}
