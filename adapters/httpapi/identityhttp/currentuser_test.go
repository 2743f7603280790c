package identityhttp

import (
	"testing"
	"time"

	"github.com/goccy/go-json"
)

func TestCurrentUser_WritesWhatTheJSONEncoderWritesOfTheUser(t *testing.T) {
	verified := time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.UTC)
	for _, u := range []userResponse{
		{ID: "0193a0c4-6b1e-7c3a-9f00-1234567890ab", Email: "zoe@example.test", Name: "Zoë <\"Z\"> & co\u2028",
			CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2026, 1, 2, 0, 0, 0, 1, time.UTC)},
		{ID: "0193a0c4-6b1e-7c3a-9f00-1234567890ac", Email: "bob@example.test", EmailVerified: true, EmailVerifiedAt: &verified,
			Name: "Bob\x01\xff", CreatedAt: verified, UpdatedAt: verified},
	} {
		want, err := json.Marshal(u)
		if err != nil {
			t.Fatal(err)
		}
		if got := currentUser(u).AppendJSON(nil); string(got) != string(want) {
			t.Fatalf("wrote\n%s\nthe encoder writes\n%s", got, want)
		}
	}
}
