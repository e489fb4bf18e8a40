package ops

import (
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// What the overviews (ops/overview) and the fleet's rotation and drain
// both read off a task definition or a service.

// TaskDefSize is a task definition's cpu units and memory (MiB): the
// task-level values, or where one is unset the sum over its containers
// (memory, else memoryReservation).
func TaskDefSize(td *types.TaskDefinition) (cpu, mem int) {
	cpu, _ = strconv.Atoi(aws.ToString(td.Cpu))
	mem, _ = strconv.Atoi(aws.ToString(td.Memory))
	if cpu == 0 || mem == 0 {
		var c, m int
		for _, cd := range td.ContainerDefinitions {
			c += int(cd.Cpu)
			if cd.Memory != nil {
				m += int(*cd.Memory)
			} else if cd.MemoryReservation != nil {
				m += int(*cd.MemoryReservation)
			}
		}
		if cpu == 0 {
			cpu = c
		}
		if mem == 0 {
			mem = m
		}
	}
	return cpu, mem
}

// ServiceOnFargate: the service's tasks run on Fargate (launch type
// FARGATE, or a strategy of the FARGATE and FARGATE_SPOT providers; a
// strategy cannot mix them with Auto Scaling group providers).
func ServiceOnFargate(s types.Service) bool {
	if s.LaunchType == types.LaunchTypeFargate {
		return true
	}
	for _, it := range s.CapacityProviderStrategy {
		if p := aws.ToString(it.CapacityProvider); p == "FARGATE" || p == "FARGATE_SPOT" {
			return true
		}
	}
	return false
}
