package sqsmap

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// noWait makes a ReceiveMessage call carry "WaitTimeSeconds": 0. The SDK leaves a zero out of the
// request, and SQS (moto too) then waits for the queue's ReceiveMessageWaitTimeSeconds: on the
// emulator, which serves one request at a time, that long poll would stall every other caller.
func noWait(o *sqs.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Build.Add(middleware.BuildMiddlewareFunc("ExplicitZeroWaitTimeSeconds", zeroWait), middleware.Before)
	})
}

func zeroWait(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok || req.GetStream() == nil {
		return next.HandleBuild(ctx, in)
	}
	body, err := io.ReadAll(req.GetStream())
	if err != nil {
		return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("read ReceiveMessage request: %w", err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return middleware.BuildOutput{}, middleware.Metadata{}, fmt.Errorf("ReceiveMessage request is not JSON: %w", err)
	}
	if _, set := doc["WaitTimeSeconds"]; !set {
		doc["WaitTimeSeconds"] = json.RawMessage("0")
		if body, err = json.Marshal(doc); err != nil {
			return middleware.BuildOutput{}, middleware.Metadata{}, err
		}
	}
	if req, err = req.SetStream(bytes.NewReader(body)); err != nil {
		return middleware.BuildOutput{}, middleware.Metadata{}, err
	}
	req.ContentLength = int64(len(body))
	in.Request = req
	return next.HandleBuild(ctx, in)
}
