package sim

import "testing"

// A List token stays valid when the list shrinks between pages (tasks
// stopping while a client pages through ListTasks): the next page is empty,
// not an error. A malformed token is still refused.
func TestECSPageTokenAfterTheListShrank(t *testing.T) {
	s := New(Options{ManualClock: true, PageSize: 2})
	page, next, err := s.ecsPage([]string{"a", "b", "c", "d", "e"}, nil, nil)
	if err != nil || len(page) != 2 || next == nil {
		t.Fatalf("first page %v %v %v", page, next, err)
	}
	_, next, err = s.ecsPage([]string{"a", "b", "c", "d", "e"}, next, nil)
	if err != nil || next == nil {
		t.Fatalf("second page: %v", err)
	}
	page, next, err = s.ecsPage([]string{"a"}, next, nil) // four stopped meanwhile
	if err != nil || len(page) != 0 || next != nil {
		t.Fatalf("after the list shrank: page %v next %v err %v", page, next, err)
	}
	garbage := "%%"
	if _, _, err := s.ecsPage([]string{"a"}, &garbage, nil); err == nil {
		t.Fatal("a malformed token was accepted")
	}
}
