package snsdeliver

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/platform/localrun/internal/runtimetest"
	"github.com/webhealth/webhealth/platform/localrun/lambdatest"
	"github.com/webhealth/webhealth/platform/moto"
)

func TestMain(m *testing.M) { moto.Main(m) }

func TestPublishDeliversToLambdaAndSQS(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := moto.Shared(t)
	cfg := m.Config()
	snsc, sqsc := sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	rt := runtimetest.New(t, m)
	fnARN, out := rt.DeployRecorder(t, "sub")

	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(lambdatest.Unique("topic"))})
	require.NoError(t, err)
	queue := func(raw bool) (url, arn string) {
		q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(lambdatest.Unique("q"))})
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

	d := New(snsc, sqsc, rt.Functions, moto.Region, nil)
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

	var ev events.SNSEvent
	require.NoError(t, json.Unmarshal(lambdatest.Received(t, out, lambdaDelivery.RequestID), &ev))
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

// TestRedeliverSendsTheSameMessageAgain: a published message delivered again reaches the subscriptions
// unchanged (MessageId, Timestamp, Subject, body), as SNS's retries do; an unknown or forgotten id is
// refused.
func TestRedeliverSendsTheSameMessageAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := moto.Shared(t)
	snsc := sns.NewFromConfig(m.Config())
	rt := runtimetest.New(t, m)
	fnARN, out := rt.DeployRecorder(t, "sub")
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(lambdatest.Unique("topic"))})
	require.NoError(t, err)
	_, err = snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("lambda"), Endpoint: aws.String(fnARN)})
	require.NoError(t, err)

	d := New(snsc, nil, rt.Functions, moto.Region, nil)
	d.keepAt = 2
	received := func(del Delivery) events.SNSEntity {
		t.Helper()
		require.Empty(t, del.Error)
		require.NotNil(t, del.Invocation())
		require.NoError(t, del.Invocation().Wait(ctx))
		var ev events.SNSEvent
		require.NoError(t, json.Unmarshal(lambdatest.Received(t, out, del.RequestID), &ev))
		require.Len(t, ev.Records, 1)
		return ev.Records[0].SNS
	}
	first, err := d.Publish(ctx, aws.ToString(topic.TopicArn), "a subject", `{"n":1}`)
	require.NoError(t, err)
	require.Len(t, first, 1)
	original := received(first[0])

	gotTopic, again, err := d.Redeliver(ctx, first[0].MessageID)
	require.NoError(t, err)
	assert.Equal(t, aws.ToString(topic.TopicArn), gotTopic)
	require.Len(t, again, 1)
	assert.NotEqual(t, first[0].RequestID, again[0].RequestID, "a second invocation")
	redelivered := received(again[0])
	assert.Equal(t, original.MessageID, redelivered.MessageID)
	assert.Equal(t, original.Timestamp, redelivered.Timestamp)
	assert.Equal(t, original.Subject, redelivered.Subject)
	assert.Equal(t, original.Message, redelivered.Message)

	t.Run("unknown id", func(t *testing.T) {
		_, _, err := d.Redeliver(ctx, "00000000-0000-4000-8000-000000000000")
		assert.ErrorIs(t, err, ErrUnknownMessage)
	})
	t.Run("only the last messages are kept", func(t *testing.T) {
		for i := range 2 {
			_, err := d.Publish(ctx, aws.ToString(topic.TopicArn), "", fmt.Sprintf(`{"n":%d}`, i+2))
			require.NoError(t, err)
		}
		_, _, err := d.Redeliver(ctx, first[0].MessageID)
		assert.ErrorIs(t, err, ErrUnknownMessage)
	})
}
