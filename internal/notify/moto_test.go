//go:build integration

package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/webhealth/webhealth/internal/netguard"
	"github.com/webhealth/webhealth/internal/notify"
	"github.com/webhealth/webhealth/internal/store"
	"github.com/webhealth/webhealth/internal/testutil/moto"
	"github.com/webhealth/webhealth/internal/testutil/snsevents"
)

// TestNotifierAgainstMoto: the notifier as main wires it — the URL, alarm and deliveries tables in
// DynamoDB, the webhook URL in an SSM SecureString, the routing key in Secrets Manager and the people
// topic in SNS (an http subscription standing in for e-mail and Chatbot) — sends one DOWN per channel
// and publishes one to the topic, and a redelivery of the message sends nothing more.
func TestNotifierAgainstMoto(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	awsCfg := moto.Shared(t).Config()
	db := dynamodb.NewFromConfig(awsCfg)
	urls, alarms := moto.CreateURLTable(t, db), moto.CreateAlarmTable(t, db)
	deliveriesTable := moto.UniqueName(t, "deliveries")
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(deliveriesTable), BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	require.NoError(t, err)

	// The fixture's target, stored as the API stores it (its id is the fixture's).
	item, err := store.MarshalTarget(exampleTarget())
	require.NoError(t, err)
	item["kind"] = &types.AttributeValueMemberS{Value: store.KindTarget}
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(urls), Item: item})
	require.NoError(t, err)

	rcv := newReceiver(t)
	param := "/" + moto.UniqueName(t, "webhealth") + "/json-hook"
	_, err = ssm.NewFromConfig(awsCfg).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String(param), Type: ssmtypes.ParameterTypeSecureString, Value: aws.String(rcv.URL + paths["json-hook"]),
	})
	require.NoError(t, err)
	secretID := moto.UniqueName(t, "webhealth") + "/pager"
	_, err = secretsmanager.NewFromConfig(awsCfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(secretID), SecretString: aws.String(routingKey),
	})
	require.NoError(t, err)

	// The people topic, with a subscriber that records what SNS delivers (moto confirms it at once and
	// posts each message to it, with the "default" form of a MessageStructure json message).
	snsClient := sns.NewFromConfig(awsCfg)
	topic, err := snsClient.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(moto.UniqueName(t, "notifications"))})
	require.NoError(t, err)
	_, err = snsClient.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(rcv.URL + "/sns")})
	require.NoError(t, err)

	cfg := notify.Config{
		URLsTable: urls, AlarmsTable: alarms, DeliveriesTable: deliveriesTable, AlarmPrefix: prefix, NotifyTopicARN: aws.ToString(topic.TopicArn),
		Channels: []notify.Channel{
			{Name: "json-hook", Format: notify.FormatJSON, SSMParameter: param},
			{Name: "pager", Format: notify.FormatPagerDuty, SecretID: secretID},
		},
		AllowPrivateTargets: true, ConsoleURL: notify.DefaultConsoleURL, PagerDutyEventsURL: rcv.URL + paths["pager"], Region: "eu-west-1",
	}
	poster := mustPoster(t, notify.PosterOptions{Guard: netguard.New(true)})
	deliveries := store.NewDeliveries(db, deliveriesTable)
	h := notify.New(cfg, store.NewTargets(db, urls), store.NewAlarms(db, alarms), deliveries,
		notify.NewSecrets(ssm.NewFromConfig(awsCfg), secretsmanager.NewFromConfig(awsCfg), notify.DefaultSecretTTL), poster, snsClient,
		notify.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))

	ev := snsevents.Load(t, snsevents.OurAlarm)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	require.NoError(t, h.Handle(ctx, ev))
	require.NoError(t, h.Handle(ctx, ev), "SNS delivers it again")

	jsonBodies, pdBodies := rcv.got(paths["json-hook"]), rcv.got(paths["pager"])
	require.Len(t, jsonBodies, 1)
	require.Len(t, pdBodies, 1)
	golden(t, "down.json", jsonBodies[0])
	golden(t, "down.pagerduty", pdBodies[0])
	for _, ch := range append(cfg.Channels, notify.Channel{Name: notify.TopicChannel}) {
		d, err := deliveries.Get(ctx, ev.Records[0].SNS.MessageID, ch.Name)
		require.NoError(t, err)
		assert.Equal(t, store.DeliveryDelivered, d.Status, ch.Name)
		assert.Equal(t, 1, d.Attempts)
	}

	published := rcv.got("/sns")
	require.Len(t, published, 1, "one message on the people topic, also when SNS delivered the alarm twice")
	var delivered struct{ Type, TopicArn, Subject, Message string }
	require.NoError(t, json.Unmarshal([]byte(published[0]), &delivered))
	assert.Equal(t, "Notification", delivered.Type)
	assert.Equal(t, aws.ToString(topic.TopicArn), delivered.TopicArn)
	assert.Equal(t, "DOWN: example.com (https://example.com/health)", delivered.Subject)
	golden(t, "down.chatbot", delivered.Message)
}
