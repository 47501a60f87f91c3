package awsdeploy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/release/awsdeploy"
)

type fakeList struct {
	in  *s3.ListObjectsV2Input
	out *s3.ListObjectsV2Output
	err error
}

func (f *fakeList) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	f.in = in
	return f.out, f.err
}

func TestRecordsListKeys(t *testing.T) {
	t.Parallel()
	l := &fakeList{out: &s3.ListObjectsV2Output{Contents: []s3types.Object{{Key: aws.String("releases/beta/versions/web/1.4.0/eu-west-1.json")}}}}
	keys, err := (&awsdeploy.Records{Client: l}).ListKeys(context.Background(), "artifacts", "releases/beta/versions/web/1.4.0/")
	require.NoError(t, err)
	assert.Equal(t, []string{"releases/beta/versions/web/1.4.0/eu-west-1.json"}, keys)
	assert.Equal(t, "artifacts", aws.ToString(l.in.Bucket))
	assert.Equal(t, "releases/beta/versions/web/1.4.0/", aws.ToString(l.in.Prefix))

	_, err = (&awsdeploy.Records{Client: &fakeList{err: errors.New("AccessDenied")}}).ListKeys(context.Background(), "artifacts", "p/")
	require.ErrorContains(t, err, "list s3://artifacts/p/: AccessDenied")
}
