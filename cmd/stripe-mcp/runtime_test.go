package main

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// TestStdioRuntime: a stdio server runs on one processor with GOGC=50,
// unless the environment sets them.
func TestStdioRuntime(t *testing.T) {
	procs, gc := runtime.GOMAXPROCS(0), debug.SetGCPercent(100)
	defer func() { runtime.GOMAXPROCS(procs); debug.SetGCPercent(gc) }()
	check := func(env map[string]string, wantProcs, wantGC int) {
		t.Helper()
		runtime.GOMAXPROCS(4)
		debug.SetGCPercent(100)
		stdioRuntime(func(k string) string { return env[k] })
		if got := runtime.GOMAXPROCS(0); got != wantProcs {
			t.Errorf("env %v: GOMAXPROCS %d, want %d", env, got, wantProcs)
		}
		if got := debug.SetGCPercent(100); got != wantGC {
			t.Errorf("env %v: GOGC %d, want %d", env, got, wantGC)
		}
	}
	check(nil, 1, 50)
	// Set in the environment: the runtime read them at start (here the
	// values the check put in place stand for them) and they stay.
	check(map[string]string{"GOMAXPROCS": "4", "GOGC": "100"}, 4, 100)
}
