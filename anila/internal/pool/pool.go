// Package pool runs indexed tasks on a fixed set of worker goroutines without allocating.
//
// Work is split into tasks whose boundaries do not depend on the number of workers, so
// results are the same bits whatever the worker count; only the speed changes.
package pool

import (
	"runtime"
	"sync"
)

type task struct {
	fn func(int)
	i  int
	p  *Pool
}

// Pool is a set of worker goroutines. The zero value is not usable; call New.
type Pool struct {
	workers  int
	tasks    chan task
	wg       sync.WaitGroup
	mu       sync.Mutex // held for the whole of Run
	pmu      sync.Mutex // guards panicked
	panicked any
}

var (
	sharedMu sync.Mutex
	shared   *Pool
	threads  = runtime.GOMAXPROCS(0)
)

// New starts a pool with the given number of workers (at least 1).
func New(workers int) *Pool {
	if workers < 1 {
		workers = 1
	}
	p := &Pool{workers: workers, tasks: make(chan task, 4*workers)}
	for w := 0; w < workers; w++ {
		go func() {
			for t := range p.tasks {
				runTask(t)
			}
		}()
	}
	return p
}

func runTask(t task) {
	defer t.p.wg.Done()
	defer func() {
		if r := recover(); r != nil {
			t.p.pmu.Lock()
			if t.p.panicked == nil {
				t.p.panicked = r
			}
			t.p.pmu.Unlock()
		}
	}()
	t.fn(t.i)
}

// Workers is the number of worker goroutines.
func (p *Pool) Workers() int { return p.workers }

// Run calls fn(0), ..., fn(n-1), spread over the workers, and returns when all are done.
// fn must be safe to call concurrently for different indices. A panic in fn is re-raised
// in the caller's goroutine after all tasks finish.
func (p *Pool) Run(n int, fn func(int)) {
	if n <= 0 {
		return
	}
	if n == 1 || p.workers == 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	// One Run at a time per pool keeps the WaitGroup simple.
	p.mu.Lock()
	defer p.mu.Unlock()
	p.wg.Add(n)
	for i := 0; i < n; i++ {
		p.tasks <- task{fn: fn, i: i, p: p}
	}
	p.wg.Wait()
	if r := p.panicked; r != nil {
		p.panicked = nil
		panic(r)
	}
}

// Shared returns the process-wide pool, sized by SetThreads (default GOMAXPROCS).
func Shared() *Pool {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil {
		shared = New(threads)
	}
	return shared
}

// SetThreads sets the worker count of the shared pool; n < 1 means GOMAXPROCS.
// Results do not depend on it.
func SetThreads(n int) {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil && shared.workers == n {
		return
	}
	old := shared
	threads = n
	shared = New(n)
	if old != nil {
		old.mu.Lock()
		close(old.tasks)
		old.mu.Unlock()
	}
}

// Threads is the worker count of the shared pool.
func Threads() int {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	return threads
}
