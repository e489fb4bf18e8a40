package ops

import "ecsctl/ops/awsapi"

// errCode returns the AWS error code of err, or "".
func errCode(err error) string { return awsapi.ErrorCode(err) }

// transient reports errors worth waiting out while polling (see
// awsapi.Transient).
func transient(err error) bool { return awsapi.Transient(err) }
