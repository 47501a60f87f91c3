package replicate

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"

	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	streams "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Item is a DynamoDB item as the DynamoDB API takes it.
type Item = map[string]ddb.AttributeValue

// fromStream converts an image of a stream record (the Streams API's own attribute types) into the
// DynamoDB API's.
func fromStream(img map[string]streams.AttributeValue) (Item, error) {
	out := make(Item, len(img))
	for k, v := range img {
		c, err := fromStreamValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out[k] = c
	}
	return out, nil
}

func fromStreamValue(v streams.AttributeValue) (ddb.AttributeValue, error) {
	switch v := v.(type) {
	case *streams.AttributeValueMemberS:
		return &ddb.AttributeValueMemberS{Value: v.Value}, nil
	case *streams.AttributeValueMemberN:
		return &ddb.AttributeValueMemberN{Value: v.Value}, nil
	case *streams.AttributeValueMemberB:
		return &ddb.AttributeValueMemberB{Value: v.Value}, nil
	case *streams.AttributeValueMemberSS:
		return &ddb.AttributeValueMemberSS{Value: v.Value}, nil
	case *streams.AttributeValueMemberNS:
		return &ddb.AttributeValueMemberNS{Value: v.Value}, nil
	case *streams.AttributeValueMemberBS:
		return &ddb.AttributeValueMemberBS{Value: v.Value}, nil
	case *streams.AttributeValueMemberBOOL:
		return &ddb.AttributeValueMemberBOOL{Value: v.Value}, nil
	case *streams.AttributeValueMemberNULL:
		return &ddb.AttributeValueMemberNULL{Value: v.Value}, nil
	case *streams.AttributeValueMemberL:
		l := make([]ddb.AttributeValue, 0, len(v.Value))
		for i, e := range v.Value {
			c, err := fromStreamValue(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l = append(l, c)
		}
		return &ddb.AttributeValueMemberL{Value: l}, nil
	case *streams.AttributeValueMemberM:
		m, err := fromStream(v.Value)
		if err != nil {
			return nil, err
		}
		return &ddb.AttributeValueMemberM{Value: m}, nil
	default:
		return nil, fmt.Errorf("attribute type %T is not one of S, N, B, SS, NS, BS, BOOL, NULL, L, M", v)
	}
}

// canonical is a text form of an item equal for equal items: map keys and set members sorted,
// every value typed. It tells a replicated write's own stream record (an echo) from a new write, and
// an item already equal to the record's image.
func canonical(item Item) string {
	var b strings.Builder
	writeMap(&b, item)
	return b.String()
}

func writeMap(b *strings.Builder, m Item) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(k))
		b.WriteByte(':')
		writeValue(b, m[k])
	}
	b.WriteByte('}')
}

func writeValue(b *strings.Builder, v ddb.AttributeValue) {
	set := func(tag string, members []string) {
		s := slices.Clone(members)
		slices.Sort(s)
		b.WriteString(tag + "[")
		for i, m := range s {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(m))
		}
		b.WriteByte(']')
	}
	switch v := v.(type) {
	case *ddb.AttributeValueMemberS:
		b.WriteString("S" + strconv.Quote(v.Value))
	case *ddb.AttributeValueMemberN:
		b.WriteString("N" + strconv.Quote(v.Value))
	case *ddb.AttributeValueMemberB:
		b.WriteString("B" + strconv.Quote(base64.StdEncoding.EncodeToString(v.Value)))
	case *ddb.AttributeValueMemberSS:
		set("SS", v.Value)
	case *ddb.AttributeValueMemberNS:
		set("NS", v.Value)
	case *ddb.AttributeValueMemberBS:
		enc := make([]string, 0, len(v.Value))
		for _, m := range v.Value {
			enc = append(enc, base64.StdEncoding.EncodeToString(m))
		}
		set("BS", enc)
	case *ddb.AttributeValueMemberBOOL:
		b.WriteString("BOOL" + strconv.FormatBool(v.Value))
	case *ddb.AttributeValueMemberNULL:
		b.WriteString("NULL")
	case *ddb.AttributeValueMemberL:
		b.WriteString("L[")
		for i, e := range v.Value {
			if i > 0 {
				b.WriteByte(',')
			}
			writeValue(b, e)
		}
		b.WriteByte(']')
	case *ddb.AttributeValueMemberM:
		b.WriteByte('M')
		writeMap(b, v.Value)
	default:
		fmt.Fprintf(b, "?%T", v)
	}
}
