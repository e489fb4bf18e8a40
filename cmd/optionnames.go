package cmd

// optionFlags names, for ops's messages, the flag that sets each request
// field (ops.Opt): the CLI's words for options ops knows only by field.
// Where two commands set one field with different flags, ops uses distinct
// field names, so the table stays flat. TestOpsNamesNoFlags keeps it
// complete; TestOptionFlagsAreFlags keeps every flag real.
var optionFlags = map[string]string{
	"Abort":                "--abort",
	"AMI":                  "--ami",
	"ASG":                  "--asg",
	"Batch":                "--batch",
	"Cluster":              "--cluster",
	"Count":                "--count",
	"DryRun":               "--dry-run",
	"RaiseMax":             "--raise-max",
	"SSMParameter":         "--ssm-parameter",
	"Standalone":           "--standalone-tasks",
	"Surge":                "--surge",
	"TimeoutPerBatch":      "--timeout-per-batch",
	"UpdateLaunchTemplate": "--update-launch-template",
}

// optionFlag is the namer cmd puts in every command's context.
func optionFlag(field string) string { return optionFlags[field] }
