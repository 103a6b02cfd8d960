package cli

import "time"

// waitABit paces polling loops that wait for an external process (the SDK
// reporting metrics); callers bound the number of rounds.
func waitABit() { time.Sleep(100 * time.Millisecond) }
