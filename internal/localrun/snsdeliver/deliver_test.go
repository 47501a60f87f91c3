package snsdeliver

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/localrun/lambdarun"
	"github.com/webhealth/webhealth/internal/localrun/lambdatest"
	"github.com/webhealth/webhealth/internal/testutil/moto"
)

var fn lambdatest.Artifact

func TestMain(m *testing.M) {
	var err error
	if fn, err = lambdatest.Build("a"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	moto.Main(m)
}

var seq atomic.Int64

func unique(prefix string) string { return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), seq.Add(1)) }

func TestPublishDeliversToLambdaAndSQS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := moto.Shared(t)
	cfg := m.Config()
	lc, snsc, sqsc := lambda.NewFromConfig(cfg), sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	build := filepath.Join(t.TempDir(), "build")
	lambdatest.Install(t, fn, build, "amd64", "fn")
	svc := lambdarun.New(lc, nil, lambdarun.Options{ArtifactsDir: build, StateDir: t.TempDir(), Endpoint: m.Endpoint, Region: moto.Region})
	t.Cleanup(func() { svc.Close(time.Second) })
	out := t.TempDir()
	fnARN := lambdatest.Deploy(t, ctx, lc, m.Endpoint, lambdatest.Function{Name: unique("sub"), Zip: fn.Zip, Env: map[string]string{"OUT_DIR": out}})

	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(unique("topic"))})
	require.NoError(t, err)
	queue := func(raw bool) (url, arn string) {
		q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(unique("q"))})
		require.NoError(t, err)
		a, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		require.NoError(t, err)
		arn = a.Attributes["QueueArn"]
		attrs := map[string]string{}
		if raw {
			attrs["RawMessageDelivery"] = "true"
		}
		_, err = snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(arn), Attributes: attrs})
		require.NoError(t, err)
		return aws.ToString(q.QueueUrl), arn
	}
	envelopeQ, _ := queue(false)
	rawQ, _ := queue(true)
	_, err = snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("lambda"), Endpoint: aws.String(fnARN)})
	require.NoError(t, err)

	d := New(snsc, sqsc, svc, moto.Region, nil)
	ds, err := d.Publish(ctx, aws.ToString(topic.TopicArn), "hello subject", `{"k":"v"}`)
	require.NoError(t, err)
	require.Len(t, ds, 3)
	var lambdaDelivery Delivery
	for _, del := range ds {
		assert.Empty(t, del.Error, "%+v", del)
		assert.Equal(t, ds[0].MessageID, del.MessageID, "one publish, one message id")
		if del.Protocol == "lambda" {
			lambdaDelivery = del
		}
	}
	require.NotNil(t, lambdaDelivery.Invocation())
	require.NoError(t, lambdaDelivery.Invocation().Wait(ctx))

	b, err := os.ReadFile(filepath.Join(out, lambdaDelivery.RequestID+".json"))
	require.NoError(t, err)
	var ev events.SNSEvent
	require.NoError(t, json.Unmarshal(b, &ev))
	require.Len(t, ev.Records, 1)
	rec := ev.Records[0]
	assert.Equal(t, lambdaDelivery.SubscriptionARN, rec.EventSubscriptionArn)
	assert.Equal(t, "Notification", rec.SNS.Type)
	assert.Equal(t, "hello subject", rec.SNS.Subject)
	assert.Equal(t, `{"k":"v"}`, rec.SNS.Message)
	assert.Equal(t, aws.ToString(topic.TopicArn), rec.SNS.TopicArn)
	assert.Equal(t, lambdaDelivery.MessageID, rec.SNS.MessageID)
	assert.Contains(t, rec.SNS.UnsubscribeURL, "Action=Unsubscribe")

	recv := func(url string) string {
		out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1})
		require.NoError(t, err)
		require.Len(t, out.Messages, 1)
		return aws.ToString(out.Messages[0].Body)
	}
	assert.Equal(t, `{"k":"v"}`, recv(rawQ))
	var env map[string]string
	require.NoError(t, json.Unmarshal([]byte(recv(envelopeQ)), &env))
	assert.Equal(t, "Notification", env["Type"])
	assert.Equal(t, "hello subject", env["Subject"])
	assert.Equal(t, `{"k":"v"}`, env["Message"])
	assert.Equal(t, lambdaDelivery.MessageID, env["MessageId"])
	assert.NotEmpty(t, env["SigningCertURL"])
}
