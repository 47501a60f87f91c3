// Package awsdeploy is the release flow's AWS side, through the SDK: CodeDeploy shifts each function's
// live alias to its newest version (rolling back on alarms), and release snapshots go to S3.
package awsdeploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/webhealth/webhealth/platform/release"
)

// LambdaAPI is what the deployer asks Lambda.
type LambdaAPI interface {
	GetAlias(ctx context.Context, in *lambda.GetAliasInput, opts ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	lambda.ListVersionsByFunctionAPIClient
}

// CodeDeployAPI is what the deployer asks CodeDeploy.
type CodeDeployAPI interface {
	CreateDeployment(ctx context.Context, in *codedeploy.CreateDeploymentInput, opts ...func(*codedeploy.Options)) (*codedeploy.CreateDeploymentOutput, error)
	GetDeployment(ctx context.Context, in *codedeploy.GetDeploymentInput, opts ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error)
}

// Deployer implements release.Deployer with the SDK.
type Deployer struct {
	// Clients builds the clients of a release (its region, the deployment role); default NewClients.
	Clients func(ctx context.Context, r release.DeployRequest) (LambdaAPI, CodeDeployAPI, error)
	// Poll is the wait between deployment status checks (0: 15 s, as `aws deploy wait`); MaxWait bounds
	// the wait for one deployment (0: 30 min).
	Poll    time.Duration
	MaxWait time.Duration
	Out     io.Writer // progress
	Err     io.Writer // failures
}

// NewClients builds Lambda and CodeDeploy clients for the release region from the SDK's default
// credential chain, through the deployment role when the request names one.
func NewClients(ctx context.Context, r release.DeployRequest) (LambdaAPI, CodeDeployAPI, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(r.Region))
	if err != nil {
		return nil, nil, fmt.Errorf("AWS SDK configuration: %w", err)
	}
	if r.AssumeRoleARN != "" {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), r.AssumeRoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "webhealth-" + r.Environment + "-deploy"
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	return lambda.NewFromConfig(cfg), codedeploy.NewFromConfig(cfg), nil
}

type started struct {
	id string
	d  release.Deployment
}

// Deploy starts one CodeDeploy deployment per function whose live alias is behind its newest version,
// then waits for all of them; it fails when any did not succeed (CodeDeploy has rolled that alias back).
func (d *Deployer) Deploy(ctx context.Context, r release.DeployRequest) error {
	clients := d.Clients
	if clients == nil {
		clients = NewClients
	}
	lam, cd, err := clients(ctx, r)
	if err != nil {
		return err
	}
	var runs []started
	for _, dep := range r.Deployments {
		live, latest, err := versions(ctx, lam, dep.Function)
		if err != nil {
			return err
		}
		if latest == 0 || live == "$LATEST" || !behind(live, latest) {
			fmt.Fprintf(d.Out, "deploy: %s: live is at version %s, nothing to shift\n", dep.Function, live)
			continue
		}
		target := strconv.Itoa(latest)
		out, err := cd.CreateDeployment(ctx, &codedeploy.CreateDeploymentInput{
			ApplicationName:     aws.String(dep.Application),
			DeploymentGroupName: aws.String(dep.Group),
			Description:         aws.String(fmt.Sprintf("%s: %s %s -> %s", r.Tag, dep.Function, live, target)),
			Revision: &cdtypes.RevisionLocation{
				RevisionType:   cdtypes.RevisionLocationTypeAppSpecContent,
				AppSpecContent: &cdtypes.AppSpecContent{Content: aws.String(AppSpec(dep.Key, dep.Function, live, target))},
			},
		})
		if err != nil {
			return fmt.Errorf("create the CodeDeploy deployment of %s: %w", dep.Function, err)
		}
		id := aws.ToString(out.DeploymentId)
		fmt.Fprintf(d.Out, "deploy: %s: shifting live %s -> %s with CodeDeploy deployment %s\n", dep.Function, live, target, id)
		runs = append(runs, started{id, dep})
	}
	failed := 0
	for _, s := range runs {
		status, err := d.wait(ctx, cd, s.id)
		if err == nil {
			fmt.Fprintf(d.Out, "deploy: %s: deployment %s succeeded\n", s.d.Function, s.id)
			continue
		}
		failed++
		fmt.Fprintf(d.Err, "deploy: %s: deployment %s did not succeed (%s): CodeDeploy rolled the live alias back\n", s.d.Function, s.id, status)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d CodeDeploy deployments of %s did not succeed", failed, len(runs), r.Tag)
	}
	return nil
}

// behind says whether the live version (a number) is older than latest.
func behind(live string, latest int) bool {
	n, err := strconv.Atoi(live)
	return err == nil && n < latest
}

// versions are the function's live alias version and its highest published version (0: none).
func versions(ctx context.Context, lam LambdaAPI, fn string) (string, int, error) {
	alias, err := lam.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
	if err != nil {
		return "", 0, fmt.Errorf("read the live alias of %s: %w", fn, err)
	}
	latest := 0
	pages := lambda.NewListVersionsByFunctionPaginator(lam, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(fn)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", 0, fmt.Errorf("list the versions of %s: %w", fn, err)
		}
		for _, v := range page.Versions {
			if n, err := strconv.Atoi(aws.ToString(v.Version)); err == nil && n > latest {
				latest = n
			}
		}
	}
	return aws.ToString(alias.FunctionVersion), latest, nil
}

// AppSpec is the CodeDeploy AppSpec of one alias shift.
func AppSpec(key, fn, current, target string) string {
	return fmt.Sprintf("version: 0.0\nResources:\n  - %s:\n      Type: AWS::Lambda::Function\n      Properties:\n"+
		"        Name: %q\n        Alias: \"live\"\n        CurrentVersion: %q\n        TargetVersion: %q\n", key, fn, current, target)
}

// wait polls the deployment until it ends; the error says it did not succeed, the status string why.
func (d *Deployer) wait(ctx context.Context, cd CodeDeployAPI, id string) (string, error) {
	poll, maxWait := d.Poll, d.MaxWait
	if poll == 0 {
		poll = 15 * time.Second
	}
	if maxWait == 0 {
		maxWait = 30 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, maxWait)
	defer cancel()
	for {
		out, err := cd.GetDeployment(ctx, &codedeploy.GetDeploymentInput{DeploymentId: aws.String(id)})
		if err != nil {
			return "status unknown: " + err.Error(), err
		}
		info := out.DeploymentInfo
		if info == nil {
			return "no deployment information", errors.New("no deployment information")
		}
		switch info.Status {
		case cdtypes.DeploymentStatusSucceeded:
			return string(info.Status), nil
		case cdtypes.DeploymentStatusFailed, cdtypes.DeploymentStatusStopped:
			status := string(info.Status)
			if e := info.ErrorInformation; e != nil {
				status += " " + string(e.Code) + ": " + aws.ToString(e.Message)
			}
			return status, errors.New(status)
		}
		select {
		case <-ctx.Done():
			return fmt.Sprintf("still %s after %s", info.Status, maxWait), ctx.Err()
		case <-time.After(poll):
		}
	}
}

// S3API is what the uploader asks S3.
type S3API interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Uploader implements release.Uploader: the caller's own credentials and region (the pipeline's build
// role writes the snapshots into its own artifact bucket; the deployment role is not assumed).
type Uploader struct {
	// Client is the S3 client (default: from the SDK's default configuration).
	Client S3API
}

// Upload stores the file at s3://bucket/key.
func (u *Uploader) Upload(ctx context.Context, bucket, key, path string) error {
	client := u.Client
	if client == nil {
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return fmt.Errorf("AWS SDK configuration: %w", err)
		}
		client = s3.NewFromConfig(cfg)
	}
	f, err := os.Open(path) // #nosec G304 -- the snapshot the release just wrote
	if err != nil {
		return fmt.Errorf("upload %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("upload %s: %w", path, err)
	}
	_, err = client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: f, ContentLength: aws.Int64(st.Size()),
		ContentType: aws.String("application/zip"),
	})
	if err != nil {
		return fmt.Errorf("upload %s to s3://%s/%s: %w", path, bucket, key, err)
	}
	return nil
}
