package sim

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// A list that shrank between two pages (tasks stopped while a slow client
// paged through them) ends with an empty last page, not "Invalid nextToken":
// the soak of the fault matrix saw rotate-ami fail on that.
func TestECSPagePastTheEndOfAShrunkListIsTheLastPage(t *testing.T) {
	s := New(Options{ManualClock: true, PageSize: 2})
	items := []string{"a", "b", "c", "d", "e"}
	_, tok, err := s.ecsPage(items, nil, nil)
	if err != nil || tok == nil {
		t.Fatalf("first page: token %v, %v", tok, err)
	}
	_, tok, err = s.ecsPage(items, tok, nil)
	if err != nil || tok == nil {
		t.Fatalf("second page: token %v, %v", tok, err)
	}
	page, next, err := s.ecsPage(items[:2], tok, nil) // three items gone meanwhile
	if err != nil || len(page) != 0 || next != nil {
		t.Fatalf("past the end: page %v, next %v, err %v; want an empty last page", page, next, err)
	}
	if _, _, err := s.ecsPage(items, aws.String("not-a-token"), nil); err == nil {
		t.Error("a token that does not decode was accepted")
	}
}
