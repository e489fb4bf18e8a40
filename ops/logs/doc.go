// Package logs is ecsctl's log reading: `ecsctl logs` (a time range, or
// following a service's or some tasks' containers through CloudWatch Logs
// live tail or by polling FilterLogEvents), the dashboard's logs pane, and
// the log lines of `ecsctl run` and `ecsctl cron run` (ops/task). Tailer
// maps ECS tasks to their awslogs streams and prints their events in order,
// once each. It builds on the ops root (errors, clock) and ops/awsapi's
// error codes; the ops root never imports it.
package logs
