package replicate

import (
	"testing"

	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	streams "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCanonical(t *testing.T) {
	for _, tc := range []struct {
		name  string
		a, b  Item
		equal bool
	}{
		{"set order", Item{"s": &ddb.AttributeValueMemberSS{Value: []string{"a", "b"}}}, Item{"s": &ddb.AttributeValueMemberSS{Value: []string{"b", "a"}}}, true},
		{"string is not number", Item{"v": &ddb.AttributeValueMemberS{Value: "1"}}, Item{"v": &ddb.AttributeValueMemberN{Value: "1"}}, false},
		{"list order matters", Item{"l": &ddb.AttributeValueMemberL{Value: []ddb.AttributeValue{s("a"), s("b")}}}, Item{"l": &ddb.AttributeValueMemberL{Value: []ddb.AttributeValue{s("b"), s("a")}}}, false},
		{"nested maps", Item{"m": &ddb.AttributeValueMemberM{Value: Item{"x": n("1"), "y": &ddb.AttributeValueMemberBOOL{Value: true}}}}, Item{"m": &ddb.AttributeValueMemberM{Value: Item{"y": &ddb.AttributeValueMemberBOOL{Value: true}, "x": n("1")}}}, true},
		{"an extra attribute", Item{"a": s("1")}, Item{"a": s("1"), "b": &ddb.AttributeValueMemberNULL{Value: true}}, false},
		{"quotes cannot forge a key", Item{"a": s(`1",b:S"2`)}, Item{"a": s("1"), "b": s("2")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.equal, canonical(tc.a) == canonical(tc.b), "%s vs %s", canonical(tc.a), canonical(tc.b))
		})
	}
}

func TestFromStream(t *testing.T) {
	img := map[string]streams.AttributeValue{
		"s": &streams.AttributeValueMemberS{Value: "x"}, "n": &streams.AttributeValueMemberN{Value: "2"},
		"b": &streams.AttributeValueMemberB{Value: []byte{1}}, "ss": &streams.AttributeValueMemberSS{Value: []string{"a"}},
		"ns": &streams.AttributeValueMemberNS{Value: []string{"1"}}, "bs": &streams.AttributeValueMemberBS{Value: [][]byte{{2}}},
		"t": &streams.AttributeValueMemberBOOL{Value: true}, "z": &streams.AttributeValueMemberNULL{Value: true},
		"l": &streams.AttributeValueMemberL{Value: []streams.AttributeValue{&streams.AttributeValueMemberS{Value: "y"}}},
		"m": &streams.AttributeValueMemberM{Value: map[string]streams.AttributeValue{"k": &streams.AttributeValueMemberN{Value: "3"}}},
	}
	got, err := fromStream(img)
	require.NoError(t, err)
	want := Item{
		"s": s("x"), "n": n("2"), "b": &ddb.AttributeValueMemberB{Value: []byte{1}}, "ss": &ddb.AttributeValueMemberSS{Value: []string{"a"}},
		"ns": &ddb.AttributeValueMemberNS{Value: []string{"1"}}, "bs": &ddb.AttributeValueMemberBS{Value: [][]byte{{2}}},
		"t": &ddb.AttributeValueMemberBOOL{Value: true}, "z": &ddb.AttributeValueMemberNULL{Value: true},
		"l": &ddb.AttributeValueMemberL{Value: []ddb.AttributeValue{s("y")}}, "m": &ddb.AttributeValueMemberM{Value: Item{"k": n("3")}},
	}
	assert.Equal(t, canonical(want), canonical(got))
	_, err = fromStream(map[string]streams.AttributeValue{"u": &streams.UnknownUnionMember{Tag: "X"}})
	assert.ErrorContains(t, err, `attribute "u"`)
}
