// Command fn is the Lambda function the local runtime's tests run through the Runtime API.
// Its behaviour is chosen by the payload ({"action": ...}) or, for API Gateway proxy events,
// by query parameters; every event it receives is also written to $OUT_DIR/<request id>.json.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// variant is set with -ldflags "-X main.variant=..." so tests can build two different artifacts.
var variant = "a"

type command struct {
	Action  string `json:"action"`
	Ms      int    `json:"ms"`
	MB      int    `json:"mb"`
	Message string `json:"message"`
	URL     string `json:"url"`
}

func main() {
	if os.Getenv("INIT_FAIL") != "" {
		fmt.Fprintln(os.Stderr, "init failing on purpose")
		os.Exit(7)
	}
	fmt.Println("init", variant, os.Getpid())
	lambda.Start(handle)
}

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	if dir := os.Getenv("OUT_DIR"); dir != "" && lc != nil {
		if err := os.WriteFile(filepath.Join(dir, lc.AwsRequestID+".json"), raw, 0o600); err != nil {
			return nil, err
		}
	}
	var probe map[string]json.RawMessage
	_ = json.Unmarshal(raw, &probe)
	if _, ok := probe["httpMethod"]; ok {
		return apigw(ctx, raw)
	}
	var sqsEvent events.SQSEvent
	if _, ok := probe["Records"]; ok && json.Unmarshal(raw, &sqsEvent) == nil && len(sqsEvent.Records) > 0 && sqsEvent.Records[0].EventSource == "aws:sqs" {
		return sqsBatch(sqsEvent)
	}
	var c command
	_ = json.Unmarshal(raw, &c)
	fmt.Println("handling", c.Action)
	switch c.Action {
	case "env":
		deadline, _ := ctx.Deadline()
		return map[string]any{
			"env":          environ(),
			"pid":          os.Getpid(),
			"variant":      variant,
			"request_id":   lc.AwsRequestID,
			"invoked_arn":  lc.InvokedFunctionArn,
			"deadline_ms":  time.Until(deadline).Milliseconds(),
			"function":     lambdacontext.FunctionName,
			"memory_limit": lambdacontext.MemoryLimitInMB,
		}, nil
	case "sleep":
		time.Sleep(time.Duration(c.Ms) * time.Millisecond)
		return map[string]any{"pid": os.Getpid()}, nil
	case "error":
		return nil, errors.New(c.Message)
	case "crash":
		os.Exit(3)
	case "panic":
		panic(c.Message)
	case "alloc":
		b := make([]byte, c.MB<<20)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		time.Sleep(time.Duration(c.Ms) * time.Millisecond)
		return map[string]any{"allocated": len(b)}, nil
	case "barrier":
		// Arrive at a test server that answers only when enough invocations are inside at once.
		resp, err := http.Get(c.URL)
		if err != nil {
			return nil, err
		}
		_ = resp.Body.Close() // arriving is the point; the answer carries nothing
		return map[string]any{"pid": os.Getpid()}, nil
	}
	return map[string]any{"pid": os.Getpid(), "variant": variant, "event": raw}, nil
}

// sqsBatch runs each SQS record's body as a command: "error" fails the batch, "fail_item" reports
// the record in the batch response (ReportBatchItemFailures), "sleep" and "barrier" as above.
func sqsBatch(ev events.SQSEvent) (any, error) {
	var resp events.SQSEventResponse
	for _, r := range ev.Records {
		var c command
		_ = json.Unmarshal([]byte(r.Body), &c)
		switch c.Action {
		case "error":
			return nil, errors.New(c.Message)
		case "fail_item":
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		case "sleep":
			time.Sleep(time.Duration(c.Ms) * time.Millisecond)
		case "barrier":
			res, err := http.Get(c.URL)
			if err != nil {
				return nil, err
			}
			_ = res.Body.Close()
		}
	}
	return resp, nil
}

// apigw answers an API Gateway proxy event with the event itself as the body, so tests can
// inspect what the function received. Query parameters steer the response.
func apigw(_ context.Context, raw json.RawMessage) (any, error) {
	var req events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	q := req.QueryStringParameters
	if q["fail"] != "" {
		return nil, errors.New("failing on purpose")
	}
	if q["sleep"] != "" {
		ms, _ := strconv.Atoi(q["sleep"])
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	if q["raw"] != "" {
		return json.RawMessage(q["raw"]), nil
	}
	status := http.StatusOK
	if s, err := strconv.Atoi(q["status"]); err == nil {
		status = s
	}
	resp := events.APIGatewayProxyResponse{
		StatusCode:        status,
		Headers:           map[string]string{"Content-Type": "application/json", "X-Single": "one", "X-Function": lambdacontext.FunctionName},
		MultiValueHeaders: map[string][]string{"X-Multi": {"a", "b"}},
		Body:              string(raw),
	}
	if q["binary"] != "" {
		resp.Headers["Content-Type"] = "application/octet-stream"
		resp.Body = base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\x00\xff", 4)))
		resp.IsBase64Encoded = true
	}
	return resp, nil
}

func environ() map[string]string {
	m := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}
