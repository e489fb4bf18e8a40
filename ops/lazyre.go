package ops

import (
	"regexp"
	"sync"
)

// LazyRE is a regular expression compiled on first use. Package-level
// regexp.MustCompile runs at start-up for every command, `ecsctl version`
// and `--help` included (issue 19: start-up time); most commands use none
// of these patterns.
type LazyRE struct {
	pattern string
	once    sync.Once
	re      *regexp.Regexp
}

// NewLazyRE returns pattern, to be compiled on first use.
func NewLazyRE(pattern string) *LazyRE { return &LazyRE{pattern: pattern} }

func (l *LazyRE) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.pattern) })
	return l.re
}

func (l *LazyRE) MatchString(s string) bool            { return l.get().MatchString(s) }
func (l *LazyRE) FindStringSubmatch(s string) []string { return l.get().FindStringSubmatch(s) }
func (l *LazyRE) ReplaceAllString(src, repl string) string {
	return l.get().ReplaceAllString(src, repl)
}
