package ops

import (
	"regexp"
	"sync"
)

// lazyRE is a regular expression compiled on first use. Package-level
// regexp.MustCompile runs at start-up for every command, `ecsctl version`
// and `--help` included (issue 19: start-up time); most commands use none
// of these patterns.
type lazyRE struct {
	pattern string
	once    sync.Once
	re      *regexp.Regexp
}

func newLazyRE(pattern string) *lazyRE { return &lazyRE{pattern: pattern} }

func (l *lazyRE) get() *regexp.Regexp {
	l.once.Do(func() { l.re = regexp.MustCompile(l.pattern) })
	return l.re
}

func (l *lazyRE) MatchString(s string) bool            { return l.get().MatchString(s) }
func (l *lazyRE) FindStringSubmatch(s string) []string { return l.get().FindStringSubmatch(s) }
func (l *lazyRE) ReplaceAllString(src, repl string) string {
	return l.get().ReplaceAllString(src, repl)
}
