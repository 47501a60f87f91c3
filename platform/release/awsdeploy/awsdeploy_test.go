package awsdeploy_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/release"
	"github.com/webhealth/webhealth/platform/release/awsdeploy"
)

// fakeLambda serves each function's live alias and its versions, two per page.
type fakeLambda struct {
	live     map[string]string
	versions map[string][]string
}

func (f *fakeLambda) GetAlias(_ context.Context, in *lambda.GetAliasInput, _ ...func(*lambda.Options)) (*lambda.GetAliasOutput, error) {
	v, ok := f.live[aws.ToString(in.FunctionName)]
	if !ok || aws.ToString(in.Name) != "live" {
		return nil, errors.New("ResourceNotFoundException")
	}
	return &lambda.GetAliasOutput{FunctionVersion: aws.String(v)}, nil
}

func (f *fakeLambda) ListVersionsByFunction(_ context.Context, in *lambda.ListVersionsByFunctionInput, _ ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error) {
	all := f.versions[aws.ToString(in.FunctionName)]
	start := 0
	if in.Marker != nil {
		start = int(aws.ToString(in.Marker)[0] - '0')
	}
	end := min(start+2, len(all))
	out := &lambda.ListVersionsByFunctionOutput{}
	for _, v := range all[start:end] {
		out.Versions = append(out.Versions, ltypes.FunctionConfiguration{Version: aws.String(v)})
	}
	if end < len(all) {
		out.NextMarker = aws.String(string(rune('0' + end)))
	}
	return out, nil
}

// fakeCodeDeploy records deployments and plays each one's statuses in turn.
type fakeCodeDeploy struct {
	mu       sync.Mutex
	created  []*codedeploy.CreateDeploymentInput
	statuses map[string][]cdtypes.DeploymentStatus // by deployment group
	ids      map[string]string                     // deployment id -> group
	polls    int
}

func (f *fakeCodeDeploy) CreateDeployment(_ context.Context, in *codedeploy.CreateDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.CreateDeploymentOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, in)
	id := "d-" + aws.ToString(in.DeploymentGroupName)
	if f.ids == nil {
		f.ids = map[string]string{}
	}
	f.ids[id] = aws.ToString(in.DeploymentGroupName)
	return &codedeploy.CreateDeploymentOutput{DeploymentId: aws.String(id)}, nil
}

func (f *fakeCodeDeploy) GetDeployment(_ context.Context, in *codedeploy.GetDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls++
	group := f.ids[aws.ToString(in.DeploymentId)]
	seq := f.statuses[group]
	status := seq[0]
	if len(seq) > 1 {
		f.statuses[group] = seq[1:]
	}
	info := &cdtypes.DeploymentInfo{Status: status}
	if status == cdtypes.DeploymentStatusFailed {
		info.ErrorInformation = &cdtypes.ErrorInformation{Code: cdtypes.ErrorCodeAlarmActive, Message: aws.String("alarm webhealth-errors fired")}
	}
	return &codedeploy.GetDeploymentOutput{DeploymentInfo: info}, nil
}

func request() release.DeployRequest {
	return release.DeployRequest{Tag: "prod_eu-west-1/web/1.4.0", Environment: "prod", Region: "eu-west-1", Deployments: []release.Deployment{
		{Key: "crawler", Function: "fn-crawler", Application: "app", Group: "grp-crawler"},
		{Key: "urlapi", Function: "fn-urlapi", Application: "app", Group: "grp-urlapi"},
		{Key: "alarmlogger", Function: "fn-alarmlogger", Application: "app", Group: "grp-alarmlogger"},
	}}
}

func deployer(lam *fakeLambda, cd *fakeCodeDeploy, out, errOut io.Writer) *awsdeploy.Deployer {
	return &awsdeploy.Deployer{
		Clients: func(context.Context, release.DeployRequest) (awsdeploy.LambdaAPI, awsdeploy.CodeDeployAPI, error) {
			return lam, cd, nil
		},
		Poll: time.Millisecond, Out: out, Err: errOut,
	}
}

func TestDeployShiftsWhatIsBehind(t *testing.T) {
	t.Parallel()
	lam := &fakeLambda{
		live: map[string]string{"fn-crawler": "2", "fn-urlapi": "7", "fn-alarmlogger": "$LATEST"},
		versions: map[string][]string{
			"fn-crawler":     {"$LATEST", "1", "2", "3", "10"}, // newest on the last page, 10 > 3 as numbers
			"fn-urlapi":      {"$LATEST", "6", "7"},
			"fn-alarmlogger": {"$LATEST", "1"},
		},
	}
	cd := &fakeCodeDeploy{statuses: map[string][]cdtypes.DeploymentStatus{
		"grp-crawler": {cdtypes.DeploymentStatusCreated, cdtypes.DeploymentStatusInProgress, cdtypes.DeploymentStatusSucceeded},
	}}
	var out, errOut bytes.Buffer
	require.NoError(t, deployer(lam, cd, &out, &errOut).Deploy(context.Background(), request()))

	require.Len(t, cd.created, 1, "only the crawler is behind its newest version")
	in := cd.created[0]
	assert.Equal(t, "app", aws.ToString(in.ApplicationName))
	assert.Equal(t, "grp-crawler", aws.ToString(in.DeploymentGroupName))
	assert.Equal(t, "prod_eu-west-1/web/1.4.0: fn-crawler 2 -> 10", aws.ToString(in.Description))
	assert.Equal(t, cdtypes.RevisionLocationTypeAppSpecContent, in.Revision.RevisionType)
	assert.Equal(t, "version: 0.0\nResources:\n  - crawler:\n      Type: AWS::Lambda::Function\n      Properties:\n"+
		"        Name: \"fn-crawler\"\n        Alias: \"live\"\n        CurrentVersion: \"2\"\n        TargetVersion: \"10\"\n",
		aws.ToString(in.Revision.AppSpecContent.Content))
	assert.Equal(t, 3, cd.polls, "polled until it succeeded")
	assert.Equal(t, "deploy: fn-crawler: shifting live 2 -> 10 with CodeDeploy deployment d-grp-crawler\n"+
		"deploy: fn-urlapi: live is at version 7, nothing to shift\n"+
		"deploy: fn-alarmlogger: live is at version $LATEST, nothing to shift\n"+
		"deploy: fn-crawler: deployment d-grp-crawler succeeded\n", out.String())
	assert.Empty(t, errOut.String())
}

func TestDeployFailsOnRollback(t *testing.T) {
	t.Parallel()
	lam := &fakeLambda{
		live:     map[string]string{"fn-crawler": "1", "fn-urlapi": "1", "fn-alarmlogger": "1"},
		versions: map[string][]string{"fn-crawler": {"1", "2"}, "fn-urlapi": {"1", "2"}, "fn-alarmlogger": {"1", "2"}},
	}
	cd := &fakeCodeDeploy{statuses: map[string][]cdtypes.DeploymentStatus{
		"grp-crawler":     {cdtypes.DeploymentStatusSucceeded},
		"grp-urlapi":      {cdtypes.DeploymentStatusInProgress, cdtypes.DeploymentStatusFailed},
		"grp-alarmlogger": {cdtypes.DeploymentStatusStopped},
	}}
	var out, errOut bytes.Buffer
	err := deployer(lam, cd, &out, &errOut).Deploy(context.Background(), request())
	require.EqualError(t, err, "2 of 3 CodeDeploy deployments of prod_eu-west-1/web/1.4.0 did not succeed")
	assert.Len(t, cd.created, 3, "every deployment starts before any is waited for")
	assert.Contains(t, errOut.String(), "deploy: fn-urlapi: deployment d-grp-urlapi did not succeed (Failed ALARM_ACTIVE: alarm webhealth-errors fired): CodeDeploy rolled the live alias back\n")
	assert.Contains(t, errOut.String(), "deploy: fn-alarmlogger: deployment d-grp-alarmlogger did not succeed (Stopped)")
	assert.Contains(t, out.String(), "deploy: fn-crawler: deployment d-grp-crawler succeeded")
}

func TestDeployGivesUpAfterMaxWait(t *testing.T) {
	t.Parallel()
	lam := &fakeLambda{live: map[string]string{"fn-crawler": "1"}, versions: map[string][]string{"fn-crawler": {"1", "2"}}}
	cd := &fakeCodeDeploy{statuses: map[string][]cdtypes.DeploymentStatus{"grp-crawler": {cdtypes.DeploymentStatusInProgress}}}
	d := deployer(lam, cd, io.Discard, io.Discard)
	d.MaxWait = 50 * time.Millisecond
	r := request()
	r.Deployments = r.Deployments[:1]
	err := d.Deploy(context.Background(), r)
	require.EqualError(t, err, "1 of 1 CodeDeploy deployments of prod_eu-west-1/web/1.4.0 did not succeed")
}

func TestDeployReportsLambdaErrors(t *testing.T) {
	t.Parallel()
	lam := &fakeLambda{live: map[string]string{}, versions: map[string][]string{}}
	err := deployer(lam, &fakeCodeDeploy{}, io.Discard, io.Discard).Deploy(context.Background(), request())
	assert.ErrorContains(t, err, "read the live alias of fn-crawler: ResourceNotFoundException")
}

type fakeS3 struct{ in *s3.PutObjectInput }

func (f *fakeS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	f.in = in
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	in.Body = bytes.NewReader(body)
	return &s3.PutObjectOutput{}, nil
}

func TestUpload(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "snapshot.zip")
	require.NoError(t, os.WriteFile(path, []byte("zip bytes"), 0o600))
	s := &fakeS3{}
	require.NoError(t, (&awsdeploy.Uploader{Client: s}).Upload(context.Background(), "artifacts", "releases/prod/eu-west-1/web/current.zip", path))
	assert.Equal(t, "artifacts", aws.ToString(s.in.Bucket))
	assert.Equal(t, "releases/prod/eu-west-1/web/current.zip", aws.ToString(s.in.Key))
	assert.Equal(t, int64(9), aws.ToInt64(s.in.ContentLength))
	body, err := io.ReadAll(s.in.Body)
	require.NoError(t, err)
	assert.Equal(t, "zip bytes", string(body))

	err = (&awsdeploy.Uploader{Client: s}).Upload(context.Background(), "b", "k", filepath.Join(t.TempDir(), "missing.zip"))
	assert.ErrorContains(t, err, "missing.zip")
}
