package render

import (
	"fmt"
	"io"
	"strings"
	"time"

	"ecsctl/fmtx"
	"ecsctl/ops/cron"
)

// CronJobs is the table of `ecsctl cron list`.
func CronJobs(w io.Writer, jobs []*cron.Job, now time.Time) error {
	if len(jobs) == 0 {
		_, err := fmt.Fprintln(w, "no schedules or rules run tasks in this cluster")
		return err
	}
	rows := make([][]string, 0, len(jobs))
	for _, j := range jobs {
		rows = append(rows, []string{
			cronName(j), j.Kind, j.Expression, j.Timezone, j.State, nextRunCell(j, now),
			revisionCell(j), lastRunCell(j, now), failedCell(j), j.Verdict,
		})
	}
	return Table(w, []string{"NAME", "KIND", "EXPRESSION", "TZ", "STATE", "NEXT RUN", "TASK DEF", "LAST RUN", "FAILED", "VERDICT"}, rows)
}

func cronName(j *cron.Job) string {
	if j.Kind == cron.KindSchedule && j.Group != "default" {
		return j.Group + "/" + j.Name
	}
	return j.Name
}

func nextRunCell(j *cron.Job, now time.Time) string {
	if j.NextRun == nil {
		switch {
		case j.State != "ENABLED":
			return "paused"
		case j.Kind == cron.KindRule && strings.HasPrefix(j.Expression, "rate("):
			return "unknown (a rule's rate counts from its creation, which AWS does not tell)"
		}
		return "none"
	}
	s := j.NextRun.UTC().Format("2006-01-02 15:04Z") + " (in " + fmtx.Age(j.NextRun.Sub(now)) + ")"
	if j.FlexibleWindowMinutes > 0 {
		s += fmt.Sprintf(" +≤%dm", j.FlexibleWindowMinutes)
	}
	return s
}

func revisionCell(j *cron.Job) string {
	s := fmt.Sprintf("%s:%d", j.Family, j.Revision)
	switch {
	case j.TaskDefinitionProblem != "":
		s += " (missing)"
		if strings.Contains(j.TaskDefinitionProblem, "INACTIVE") {
			s = fmt.Sprintf("%s:%d (INACTIVE)", j.Family, j.Revision)
		}
	case j.ServiceRevision > j.Revision:
		s += fmt.Sprintf(" (service %s: :%d)", j.ServiceName, j.ServiceRevision)
	}
	return s
}

func lastRunCell(j *cron.Job, now time.Time) string {
	if len(j.Runs) == 0 {
		return "-"
	}
	r := j.Runs[0]
	when := ""
	if r.CreatedAt != nil {
		when = fmtx.Age(now.Sub(*r.CreatedAt)) + " ago "
	}
	if r.LastStatus != "STOPPED" {
		return when + strings.ToLower(r.LastStatus)
	}
	return when + cron.RunSummary(r)
}

func failedCell(j *cron.Job) string {
	if j.Kind == cron.KindSchedule && j.FailedInvocations > 0 {
		return fmt.Sprintf("%d (group)", j.FailedInvocations)
	}
	return fmt.Sprint(j.FailedInvocations)
}

// CronJob is `ecsctl cron show`.
func CronJob(w io.Writer, j *cron.Job, now time.Time, window time.Duration) error {
	var b strings.Builder
	row := func(k, v string) { fmt.Fprintf(&b, "%-16s %s\n", k+":", v) }
	row("Name", j.ID())
	row("ARN", j.Arn)
	tz := j.Timezone
	row("Expression", j.Expression+" ("+tz+")")
	row("State", j.State)
	row("Next run", nextRunCell(j, now))
	row("Task definition", revisionCell(j))
	if j.TaskDefinitionProblem != "" {
		row("Problem", j.TaskDefinitionProblem)
	}
	failed := fmt.Sprintf("%d in the last %s (%s)", j.FailedInvocations, fmtx.Age(window), j.FailureScope)
	if j.Kind == cron.KindSchedule {
		failed += "; AWS/Scheduler counts failures per schedule group, not per schedule"
	}
	row("Failed", failed)
	v := j.Verdict
	if j.Reason != "" {
		v += " — " + j.Reason
	}
	row("Verdict", v)
	fmt.Fprintf(&b, "\nRuns (ECS describes stopped tasks for about %s after they stop; older runs are gone):\n", fmtx.Age(cron.StoppedTaskRetention))
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if len(j.Runs) == 0 {
		_, err := fmt.Fprintln(w, "  none visible")
		return err
	}
	rows := make([][]string, 0, len(j.Runs))
	for _, r := range j.Runs {
		task := fmtx.ShortARN(r.TaskArn)
		started, stopped := "-", "-"
		if r.StartedAt != nil {
			started = r.StartedAt.UTC().Format(time.RFC3339)
		}
		if r.StoppedAt != nil {
			stopped = r.StoppedAt.UTC().Format(time.RFC3339)
		}
		result := ""
		if r.LastStatus == "STOPPED" {
			result = cron.RunSummary(r)
		}
		rows = append(rows, []string{task, r.LastStatus, started, stopped, result})
	}
	return Table(w, []string{"TASK", "STATUS", "STARTED", "STOPPED", "RESULT"}, rows)
}
