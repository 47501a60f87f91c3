package moto

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// UniqueName is prefix-<12 random hex digits>: tests sharing one server name their resources with it.
func UniqueName(t testing.TB, prefix string) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return prefix + "-" + hex.EncodeToString(b[:])
}

// CreateURLTable creates a URL table as docs/design.md defines it (hash key id, on demand; Terraform
// owns the real one) under a UniqueName starting with "urls", and returns that name.
func CreateURLTable(t testing.TB, db *dynamodb.Client) string {
	t.Helper()
	name := UniqueName(t, "urls")
	createTable(t, db, name, "id")
	return name
}

// CreateAlarmTable creates an alarm table as docs/design.md defines it (hash key target_id, range
// key sk, on demand, TTL attribute expires_at) under a UniqueName starting with "alarms", and
// returns that name.
func CreateAlarmTable(t testing.TB, db *dynamodb.Client) string {
	t.Helper()
	name := UniqueName(t, "alarms")
	createTable(t, db, name, "target_id", "sk")
	enableTTL(t, db, name, "expires_at")
	return name
}

// CreateChecksTable creates a checks table as docs/design.md ("Multi-region") defines it (hash key
// target_id, range key region, on demand, TTL attribute expires_at) under a UniqueName starting with
// "checks", and returns that name.
func CreateChecksTable(t testing.TB, db *dynamodb.Client) string {
	t.Helper()
	name := UniqueName(t, "checks")
	createTable(t, db, name, "target_id", "region")
	enableTTL(t, db, name, "expires_at")
	return name
}

// enableTTL makes attr the TTL attribute of table.
func enableTTL(t testing.TB, db *dynamodb.Client, table, attr string) {
	t.Helper()
	_, err := db.UpdateTimeToLive(context.Background(), &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attr), Enabled: aws.Bool(true)},
	})
	if err != nil {
		t.Fatalf("enable TTL on %s: %v", table, err)
	}
}

// createTable creates an on-demand table whose keys are string attributes: the hash key, then the
// range key if there is one.
func createTable(t testing.TB, db *dynamodb.Client, name string, keys ...string) {
	t.Helper()
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest}
	for i, k := range keys {
		kt := types.KeyTypeHash
		if i > 0 {
			kt = types.KeyTypeRange
		}
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(k), AttributeType: types.ScalarAttributeTypeS})
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(k), KeyType: kt})
	}
	if _, err := db.CreateTable(context.Background(), in); err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
}
