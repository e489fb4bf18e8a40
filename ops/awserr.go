package ops

import (
	"errors"
	"net"
	"strings"

	"github.com/aws/smithy-go"
)

// errCode returns the AWS error code of err, or "".
func errCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// transient reports errors worth waiting out while polling: throttling,
// server faults and network trouble that survived the SDK's own retries.
func transient(err error) bool {
	if err == nil {
		return false
	}
	switch errCode(err) {
	case "ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException",
		"ServerException", "InternalFailure", "InternalError", "ServiceUnavailable", "ServiceUnavailableException":
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && re.HTTPStatusCode() >= 500 {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "connection reset") || strings.Contains(msg, "EOF") || strings.Contains(msg, "retry quota exceeded")
}
