package fmtx

import "strings"

// ShortARN is the last path segment of an ARN (a service deployment's id,
// a task's id, a task definition's family:revision), or s itself.
func ShortARN(s string) string {
	if i := strings.LastIndex(s, "/"); i >= 0 {
		return s[i+1:]
	}
	return s
}
