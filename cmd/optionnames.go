package cmd

// optionFlags names, for ops's messages, the flag that sets each request
// field (ops.Opt): the CLI's words for options ops knows only by field.
// Where two commands set one field with different flags, ops uses distinct
// field names, so the table stays flat. TestOpsNamesNoFlags keeps it
// complete; TestOptionFlagsAreFlags keeps every flag real.
var optionFlags = map[string]string{
	"Abort":                "--abort",
	"Add":                  "--add",
	"AllowMutableTag":      "--allow-mutable-tag",
	"AMI":                  "--ami",
	"ASG":                  "--asg",
	"Batch":                "--batch",
	"Cluster":              "--cluster",
	"Container":            "--container",
	"Count":                "--count",
	"CPU":                  "--cpu",
	"DryRun":               "--dry-run",
	"Env":                  "--env",
	"Filter":               "--filter",
	"Follow":               "--follow",
	"Force":                "--force",
	"ForceNewDeployment":   "--force-new-deployment",
	"Image":                "--image",
	"KeepRevisions":        "--keep-revisions",
	"LaunchType":           "--launch-type",
	"Memory":               "--memory",
	"NoRollback":           "--no-rollback",
	"OutsideAutoscaling":   "--outside-autoscaling",
	"Previous":             "--previous",
	"RaiseMax":             "--raise-max",
	"RollbackTimeout":      "--rollback-timeout",
	"SecurityGroup":        "--security-group",
	"Service":              "--service",
	"Since":                "--since",
	"SkipImageCheck":       "--skip-image-check",
	"Sort":                 "--sort",
	"SSMParameter":         "--ssm-parameter",
	"Standalone":           "--standalone-tasks",
	"Subnet":               "--subnet",
	"Surge":                "--surge",
	"Tag":                  "--tag",
	"Task":                 "--task",
	"TaskDef":              "--task-def",
	"Timeout":              "--timeout",
	"TimeoutPerBatch":      "--timeout-per-batch",
	"ToRevision":           "--to",
	"UnsetEnv":             "--unset-env",
	"Until":                "--until",
	"UpdateAutoscaling":    "--update-autoscaling",
	"UpdateLaunchTemplate": "--update-launch-template",
}

// optionFlag is the namer cmd puts in every command's context.
func optionFlag(field string) string { return optionFlags[field] }
