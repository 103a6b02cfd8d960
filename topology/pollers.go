package topology

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// taskQueuePartitions is the server's default number of partitions of a
// task queue (matching.numTaskqueueReadPartitions, which patchflow's
// setups leave alone). A poll lands on one partition, and only that
// partition remembers the poller, so every partition is asked.
const taskQueuePartitions = 4

// PollingPIDs returns the process IDs of the workers that have polled both
// the workflow and the activity tasks of taskQueue since the given time,
// as the server's matching service saw them (DescribeTaskQueue of each
// partition). The SDK
// names a worker "<pid>@<host>@" unless told otherwise, which is how
// `patchflow worker` runs; other identities are left out.
func PollingPIDs(ctx context.Context, c client.Client, namespace, taskQueue string, since time.Time) ([]int, error) {
	seen := map[int]int{}
	for _, typ := range []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY} {
		for part := range taskQueuePartitions {
			name := taskQueue
			if part > 0 {
				name = fmt.Sprintf("/_sys/%s/%d", taskQueue, part)
			}
			resp, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
				Namespace:     namespace,
				TaskQueue:     &taskqueuepb.TaskQueue{Name: name, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
				TaskQueueType: typ,
			})
			if err != nil {
				return nil, fmt.Errorf("describe task queue %s (%s): %w", name, typ, err)
			}
			for _, p := range resp.GetPollers() {
				pid, ok := identityPID(p.GetIdentity())
				if !ok || p.GetLastAccessTime().AsTime().Before(since) {
					continue
				}
				seen[pid] |= 1 << typ
			}
		}
	}
	var pids []int
	for pid, types := range seen {
		if types == 1<<enumspb.TASK_QUEUE_TYPE_WORKFLOW|1<<enumspb.TASK_QUEUE_TYPE_ACTIVITY {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	return pids, nil
}

// WaitPolling waits until every process in pids polls taskQueue (see
// PollingPIDs) after since, or ctx ends.
func WaitPolling(ctx context.Context, c client.Client, namespace, taskQueue string, pids []int, since time.Time) error {
	var last []int
	err := retry(ctx, func(ctx context.Context) error {
		got, err := PollingPIDs(ctx, c, namespace, taskQueue, since)
		if err != nil {
			return err
		}
		last = got
		for _, pid := range pids {
			if !slices.Contains(got, pid) {
				return fmt.Errorf("worker pid %d has not polled task queue %s since %s (polling: %v)", pid, taskQueue, since.Format(time.RFC3339), got)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("wait for workers %v to poll: %w (last seen polling: %v)", pids, err, last)
	}
	return nil
}

func identityPID(identity string) (int, bool) {
	head, _, ok := strings.Cut(identity, "@")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(head)
	return pid, err == nil && pid > 0
}
