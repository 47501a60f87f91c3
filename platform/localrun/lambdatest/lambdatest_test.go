package lambdatest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/moto"
)

// Deploying the same function again finds the first deployment and answers the same alias, as
// Deploy must when the SDK retries a create whose answer it lost.
func TestDeployTwiceIsOneDeployment(t *testing.T) {
	t.Parallel()
	m := moto.Start(t)
	ctx := context.Background()
	c := lambda.NewFromConfig(m.Config())
	f := Function{Name: Unique("twice")}
	first := Deploy(t, ctx, c, m.Endpoint, f)
	again := Deploy(t, ctx, c, m.Endpoint, f)
	assert.Equal(t, first, again)
	versions, err := c.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(f.Name)})
	require.NoError(t, err)
	var published []string
	for _, v := range versions.Versions {
		published = append(published, aws.ToString(v.Version))
	}
	assert.ElementsMatch(t, []string{"$LATEST", "1"}, published, "no second version")
	alias, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(f.Name), Name: aws.String("live")})
	require.NoError(t, err)
	assert.Equal(t, "1", aws.ToString(alias.FunctionVersion))
	assert.Equal(t, Fn(t, "a").CodeSha256, codeSha256(t, c, f.Name))
}

func codeSha256(t *testing.T, c *lambda.Client, name string) string {
	t.Helper()
	out, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String("live")})
	require.NoError(t, err)
	return aws.ToString(out.Configuration.CodeSha256)
}
