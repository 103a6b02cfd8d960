package workflows

import (
	"go.temporal.io/sdk/workflow"
)

// forEachBounded runs fn for every index with at most parallel running at
// once, starting them in index order, and returns when all that started
// have finished. When the cycle is canceled it starts no more and returns
// false once the running ones are done.
func forEachBounded(ctx workflow.Context, n, parallel int, fn func(ctx workflow.Context, i int)) bool {
	parallel = max(parallel, 1)
	running, started := 0, 0
	for started < n {
		if err := workflow.Await(ctx, func() bool { return running < parallel }); err != nil {
			break
		}
		i := started
		started++
		running++
		workflow.Go(ctx, func(ctx workflow.Context) {
			fn(ctx, i)
			running--
		})
	}
	// The running ones finish even when canceled: each is a bounded
	// activity or child that settles on its own.
	_ = workflow.Await(detached(ctx), func() bool { return running == 0 })
	return started == n
}

// runBatches runs one activity per batch of items, at most inFlight at
// once, and returns each batch's result in batch order. A batch whose
// activity failed gets failed(batch, reason) as its result, so one bad
// batch never stops the others. This is the one fan-out the cycle's scan,
// pre-download and final verify share.
func runBatches[In, Out any](ctx workflow.Context, items []In, size, inFlight int,
	call func(ctx workflow.Context, batch []In) workflow.Future, failed func(batch []In, reason string) Out) ([]Out, bool) {
	batches := chunk(items, size)
	results := make([]Out, len(batches))
	done := forEachBounded(ctx, len(batches), inFlight, func(ctx workflow.Context, i int) {
		if err := call(ctx, batches[i]).Get(ctx, &results[i]); err != nil {
			results[i] = failed(batches[i], reasonOf(err))
		}
	})
	return results, done
}

func chunk[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > 0 {
		k := min(n, len(s))
		out = append(out, s[:k:k])
		s = s[k:]
	}
	return out
}

// detached returns a context that cancellation of ctx does not reach:
// for the work a canceled workflow still does (finish hosts it started,
// report what happened).
func detached(ctx workflow.Context) workflow.Context {
	d, _ := workflow.NewDisconnectedContext(ctx)
	return d
}
