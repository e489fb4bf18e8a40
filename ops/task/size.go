package task

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops"
)

// fargateSizes lists, per task CPU value, the task memory values Fargate
// offers (MiB), from the ECS developer guide, "Task CPU and memory", and the
// SDK's TaskDefinition.Memory doc: 256 with 512, 1024 or 2048; 512 with 1–4
// GB; 1024 with 2–8 GB; 2048 with 4–16 GB and 4096 with 8–30 GB in 1 GB
// steps; 8192 with 16–60 GB in 4 GB steps and 16384 with 32–120 GB in 8 GB
// steps (both on Linux platform version 1.4.0 or later).
var fargateSizes = []struct {
	cpu          int
	lo, hi, step int
	only         []int
}{
	{cpu: 256, only: []int{512, 1024, 2048}},
	{cpu: 512, lo: 1024, hi: 4096, step: 1024},
	{cpu: 1024, lo: 2048, hi: 8192, step: 1024},
	{cpu: 2048, lo: 4096, hi: 16384, step: 1024},
	{cpu: 4096, lo: 8192, hi: 30720, step: 1024},
	{cpu: 8192, lo: 16384, hi: 61440, step: 4096},
	{cpu: 16384, lo: 32768, hi: 122880, step: 8192},
}

// FargateSizeOK reports whether Fargate runs a task of cpu units and mem MiB.
func FargateSizeOK(cpu, mem int) bool {
	for _, s := range fargateSizes {
		if s.cpu != cpu {
			continue
		}
		if s.only != nil {
			for _, m := range s.only {
				if m == mem {
					return true
				}
			}
			return false
		}
		return mem >= s.lo && mem <= s.hi && (mem-s.lo)%s.step == 0
	}
	return false
}

// fargateMemoryFor says which memory values go with cpu.
func fargateMemoryFor(cpu int) string {
	for _, s := range fargateSizes {
		if s.cpu != cpu {
			continue
		}
		if s.only != nil {
			var ms []string
			for _, m := range s.only {
				ms = append(ms, strconv.Itoa(m))
			}
			return strings.Join(ms, ", ")
		}
		return fmt.Sprintf("%d to %d in steps of %d", s.lo, s.hi, s.step)
	}
	return ""
}

// EC2 task CPU: 128 units (0.125 vCPU) to 196608 (192 vCPU) (ECS developer
// guide, "Task CPU and memory": "For tasks hosted on Amazon EC2 instances,
// supported task CPU values are between 0.125 vCPUs and 192 vCPUs").
const ec2MinCPU, ec2MaxCPU = 128, 196608

// checkSize validates the task size a run asks for against the launch
// type, with the task definition's values for what is not overridden.
func checkSize(ctx context.Context, td *types.TaskDefinition, r Request, fargate bool) error {
	if r.CPU == "" && r.Memory == "" {
		return nil
	}
	cpu, mem := atoi(r.CPU), atoi(r.Memory)
	if cpu == 0 {
		cpu = atoi(aws.ToString(td.Cpu))
	}
	if mem == 0 {
		mem = atoi(aws.ToString(td.Memory))
	}
	if fargate {
		if !FargateSizeOK(cpu, mem) {
			if want := fargateMemoryFor(cpu); want != "" {
				return ops.Inputf("Fargate has no task of %d CPU units with %d MiB: with %s %d give %s %s", cpu, mem, ops.Opt(ctx, "CPU"), cpu, ops.Opt(ctx, "Memory"), want)
			}
			return ops.Inputf("Fargate has no task of %d CPU units: give %s 256, 512, 1024, 2048, 4096, 8192 or 16384 with a %s that goes with it", cpu, ops.Opt(ctx, "CPU"), ops.Opt(ctx, "Memory"))
		}
		return nil
	}
	if r.CPU != "" && (cpu < ec2MinCPU || cpu > ec2MaxCPU) {
		return ops.Inputf("invalid %s %d for EC2: give %d to %d CPU units (1024 = 1 vCPU)", ops.Opt(ctx, "CPU"), cpu, ec2MinCPU, ec2MaxCPU)
	}
	if r.Memory != "" {
		// A task's memory holds its containers' hard limits (ECS rejects a
		// container memory above the task's).
		for _, c := range td.ContainerDefinitions {
			if c.Memory != nil && int(*c.Memory) > mem {
				return ops.Inputf("%s %d is below container %s's hard limit of %d MiB: give at least %d", ops.Opt(ctx, "Memory"), mem, aws.ToString(c.Name), *c.Memory, *c.Memory)
			}
		}
	}
	return nil
}

func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0
	}
	return n
}
